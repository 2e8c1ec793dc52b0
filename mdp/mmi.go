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
	// MMIWorkers (majordomo): body = a service name, optionally the last
	// worker id of the previous page; 200 and its workers as JSON (tier,
	// state, capacity, counts, declared name/version/metadata), 404 when it
	// has none; see spec/mmi.md.
	MMIWorkers = "mmi.workers"
	// MMIHandover (majordomo): body = an exclusive service's name,
	// optionally a worker id; the active worker hands over to that standby
	// (else the next in line) once it holds no request. 200 with JSON, 404
	// for an unknown service or worker, 409 when the service is not
	// exclusive or has no standby; see spec/mmi.md.
	MMIHandover = "mmi.handover"
)
