package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/kv"
)

// mdcli kv: an mdkv store from the shell (spec/kv.md).
const kvUsage = `usage: mdcli [flags] kv SUBCOMMAND [--store NAME] [ARGS]

  put KEY VALUE                          set KEY; print the write's index
  get [--min-index N] [--linearizable] KEY  print the value and a newline
  del KEY                                delete KEY; print the write's index
  cas [--version N] KEY EXPECTED NEW     set KEY to NEW if its value is EXPECTED; with --version N,
  cas --version N KEY NEW                if its version is N (0: absent); print the index
  incr KEY [DELTA]                       add DELTA (default 1); print the new value
  scan [--limit N] [--after KEY] [--linearizable] PREFIX   print KEY<TAB>VALUE lines
  status                                 print each node's id, group, member kind, raft role, term,
                                         applied index, lag behind the leader's commit, last contact, leader
  transfer --to ID                       hand leadership to the voter ID (planned switchover)
  add --id ID --raft HOST:PORT [--replica]   add a node (a voter, or a non-voter replica)
  remove --id ID                         remove a node from the store

--store defaults to kv. --json prints the whole reply as JSON.
exit codes: as for call (0 success, 1 error reply, 2 usage, 3 timeout, 4 other failure),
5 key not found, 6 cas failed
`

// Exit codes of mdcli kv beyond mdcli's own.
const (
	exitKVNotFound  = 5
	exitKVCASFailed = 6
)

// kvArgs is what a kv subcommand's flags and arguments say.
type kvArgs struct {
	sub          string
	store        string
	minIndex     uint64
	linearizable bool
	version      int64 // -1: not given
	limit        int
	after        string
	json         bool
	to, id, raft string // transfer, add, remove
	replica      bool
	args         []string
}

// check refuses unknown subcommands, wrong argument counts and bad limits.
func (a *kvArgs) check() error {
	n := len(a.args)
	ok := map[string]bool{
		"put": n == 2, "get": n == 1, "del": n == 1, "incr": n == 1 || n == 2, "scan": n == 1, "status": n == 0,
		"cas":      (a.version < 0 && n == 3) || (a.version >= 0 && n == 2),
		"transfer": n == 0 && a.to != "", "add": n == 0 && a.id != "" && a.raft != "", "remove": n == 0 && a.id != "",
	}
	good, known := ok[a.sub]
	switch {
	case !known:
		return fmt.Errorf("unknown subcommand %q", a.sub)
	case !good:
		return fmt.Errorf("wrong number of arguments for %s", a.sub)
	case a.limit < 0 || a.limit > kv.MaxScanLimit:
		return fmt.Errorf("--limit must be 0 to %d", kv.MaxScanLimit)
	}
	return nil
}

func parseKVArgs(args []string) (*kvArgs, error) {
	if len(args) == 0 {
		return nil, errors.New("missing subcommand")
	}
	a := &kvArgs{sub: args[0]}
	fs := flag.NewFlagSet("mdcli kv "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.store, "store", "kv", "store name")
	fs.Uint64Var(&a.minIndex, "min-index", 0, "wait until the node has applied this index")
	fs.BoolVar(&a.linearizable, "linearizable", false, "read from the leader, linearizably")
	fs.Int64Var(&a.version, "version", -1, "cas on the version instead of the value")
	fs.IntVar(&a.limit, "limit", 0, "scan: records (0: the store's default)")
	fs.StringVar(&a.after, "after", "", "scan: continue after this key")
	fs.BoolVar(&a.json, "json", false, "print JSON (as mdcli's own --json)")
	fs.StringVar(&a.to, "to", "", "transfer: the voter to lead")
	fs.StringVar(&a.id, "id", "", "add, remove: the node's id")
	fs.StringVar(&a.raft, "raft", "", "add: the node's Raft host:port")
	fs.BoolVar(&a.replica, "replica", false, "add: as a replica (a Raft non-voter)")
	rest := args[1:]
	for { // flags may come before, between or after the arguments
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		a.args = append(a.args, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	return a, a.check()
}

// runKV runs "mdcli kv ..." with the Client that run made.
func runKV(ctx context.Context, c *clients.Client, args []string, out *output) int {
	a, err := parseKVArgs(args)
	if err != nil {
		fmt.Fprintln(out.stderr, "mdcli kv:", err)
		fmt.Fprint(out.stderr, kvUsage)
		return exitUsage
	}
	out.json = out.json || a.json
	k := kv.NewClient(c, a.store)
	switch a.sub {
	case "get":
		var opts []kv.ReadOption
		if a.minIndex > 0 {
			opts = append(opts, kv.MinIndex(a.minIndex))
		}
		if a.linearizable {
			opts = append(opts, kv.Linearizable())
		}
		g, err := k.Get(ctx, []byte(a.args[0]), opts...)
		return out.kvGet(a.args[0], g, err)
	case "scan":
		var opts []kv.ReadOption
		if a.linearizable {
			opts = append(opts, kv.Linearizable())
		}
		s, err := k.Scan(ctx, []byte(a.args[0]), []byte(a.after), a.limit, opts...)
		return out.kvScan(s, err)
	case "status":
		return out.kvStatus(kvStatus(ctx, k))
	case "transfer":
		return out.kvAdmin(k.Transfer(ctx, a.to))
	case "add":
		return out.kvAdmin(k.AddNode(ctx, a.id, a.raft, a.replica))
	case "remove":
		return out.kvAdmin(k.RemoveNode(ctx, a.id))
	}
	res, n, err := kvWrite(ctx, k, a)
	return out.kvWrite(a.sub, res, n, err)
}

// kvWrite runs put, del, cas or incr.
func kvWrite(ctx context.Context, k *kv.Client, a *kvArgs) (*kv.WriteResult, int64, error) {
	key := []byte(a.args[0])
	switch a.sub {
	case "put":
		r, err := k.Put(ctx, key, []byte(a.args[1]))
		return r, 0, err
	case "del":
		r, err := k.Delete(ctx, key)
		return r, 0, err
	case "cas":
		if a.version >= 0 {
			r, err := k.CAS(ctx, key, kv.IfVersion(uint64(a.version)), []byte(a.args[1]))
			return r, 0, err
		}
		r, err := k.CAS(ctx, key, kv.IfValue([]byte(a.args[1])), []byte(a.args[2]))
		return r, 0, err
	default: // incr
		delta := int64(1)
		if len(a.args) == 2 {
			d, err := strconv.ParseInt(a.args[1], 10, 64)
			if err != nil {
				return nil, 0, fmt.Errorf("%w: DELTA %q is not a signed decimal integer", kv.ErrBadRequest, a.args[1])
			}
			delta = d
		}
		n, r, err := k.Incr(ctx, key, delta)
		return r, n, err
	}
}

// nodeRow is one line of mdcli kv status.
type nodeRow struct {
	ID     string         `json:"id"`
	Addr   string         `json:"addr"`
	Status *kv.NodeStatus `json:"status,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// kvStatus asks any node for the membership, then each node for itself,
// each within a share of the time left.
func kvStatus(ctx context.Context, k *kv.Client) ([]nodeRow, error) {
	one, err := k.Status(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]nodeRow, len(one.Servers))
	for i, s := range one.Servers {
		rows[i] = nodeRow{ID: s.ID, Addr: s.Addr}
		if s.ID == one.ID {
			rows[i].Status = one
			continue
		}
		nctx, cancel := context.WithTimeout(ctx, nodeStatusTimeout(ctx, len(one.Servers)))
		st, err := k.NodeStatus(nctx, s.ID)
		cancel()
		if err != nil {
			rows[i].Error = err.Error()
		}
		rows[i].Status = st
	}
	return rows, nil
}

func nodeStatusTimeout(ctx context.Context, n int) time.Duration {
	d := time.Second
	if dl, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(dl)/time.Duration(max(n, 1)))
	}
	return max(d, time.Millisecond)
}

// printable shows bytes as text when they are UTF-8, else as 0x hex.
func printable(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return fmt.Sprintf("0x%x", b)
}

func statusTable(w io.Writer, rows []nodeRow) {
	var commit uint64
	haveLeader := false
	for _, r := range rows {
		if r.Status != nil && r.Status.Role == "leader" {
			commit, haveLeader = r.Status.Commit, true
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tGROUP\tMEMBER\tROLE\tTERM\tAPPLIED\tLAG\tCONTACT\tLEADER")
	for _, r := range rows {
		if r.Status == nil {
			fmt.Fprintf(tw, "%s\t-\t-\tunreachable\t-\t-\t-\t-\t-\n", r.ID)
			continue
		}
		s := r.Status
		member, lag, contact, leader := "voter", "-", "never", s.Leader
		if s.Replica {
			member = "replica"
		}
		if haveLeader {
			lag = fmt.Sprint(int64(commit) - int64(s.Applied))
		}
		if s.LastContactMS >= 0 {
			contact = fmt.Sprintf("%dms", s.LastContactMS)
		}
		if leader == "" {
			leader = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", r.ID, s.Group, member, s.Role, s.Term, s.Applied, lag, contact, leader)
	}
	tw.Flush()
}
