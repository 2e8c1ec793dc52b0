package kv

// Roles of a node in its store (Config.Role).
const (
	// RoleVoter may become the leader (the writer) and counts for quorum.
	RoleVoter = "voter"
	// RoleReplica is a Raft non-voter: it follows the log and serves
	// reads, never stands for election and never counts for quorum.
	RoleReplica = "replica"
)

// DefaultGroup is the group of a node configured without one.
const DefaultGroup = "default"

// Broker tiers of the read worker: a node in the brokers' own group
// serves first; nodes of other groups serve only when no local one can
// (an overflow tier: the broker gives them a request when every tier-1
// worker is busy or gone).
const (
	TierLocal  = 1
	TierRemote = 2
)

// ReadTier is the tier with which the node registers STORE.read with the
// broker at endpoint ep: TierLocal when that broker's group is the node's
// own, TierRemote otherwise. A broker's group is BrokerGroups[ep], else
// LocalGroup, else the node's own group. STORE.write and STORE.node.ID
// always use TierLocal.
func (c *Config) ReadTier(ep string) int {
	g := c.BrokerGroups[ep]
	if g == "" {
		g = c.LocalGroup
	}
	if g == "" || g == c.Group {
		return TierLocal
	}
	return TierRemote
}

// anyTier is a tier function for services that use the same tier at
// every broker.
func anyTier(t int) func(string) int { return func(string) int { return t } }
