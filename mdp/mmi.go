package mdp

// The Majordomo Management Interface (RFC 8): services whose names start with
// "mmi." are answered by the broker itself. The reply is an ordinary client
// reply (FINAL over MDP/0.2) whose service frame is the query's name and
// whose first body frame is a status code.
const (
	MMIPrefix = "mmi."
	// MMIService: body = a service name; 200 when a worker is registered for
	// it (idle or busy), 404 when none is.
	MMIService = "mmi.service"
	// MMIServices (majordomo): the list of services with worker counts and
	// queue depths, as JSON in the second body frame; see spec/mmi.md.
	MMIServices = "mmi.services"
	// MMIBroker (majordomo): broker information (version, heartbeat
	// settings), as JSON in the second body frame; see spec/mmi.md.
	MMIBroker = "mmi.broker"
)
