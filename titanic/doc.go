// Package titanic is where majordomo's disk-backed reliable queueing will
// live: the Titanic Service Protocol (9/TSP, https://rfc.zeromq.org/spec/9/)
// served as titanic.request, titanic.reply and titanic.close over MDP, with
// every accepted request fsynced to an embedded store before the client is
// told 200, so that it survives kill -9.
//
// Nothing is built here yet; the package exists so the module has the
// layout shared/ARCHITECTURE.md agreed on. What the wire needs is already in
// mdp: the Titanic status codes and the 32-hex-digit UUID form
// (mdp.FormatUUID, mdp.ParseUUID).
package titanic
