package mdp

import (
	"testing"
	"time"
)

func benchRequest() Message {
	return Message{Version: V02, Kind: ClientRequest, Ext: true, Service: "echo", UUID: testUUID,
		Timeout: 5 * time.Second, Body: [][]byte{make([]byte, 64)}}
}

// BenchmarkParseRouterRequest: the broker's hot path, an extension request
// arriving on the ROUTER.
func BenchmarkParseRouterRequest(b *testing.B) {
	m := benchRequest()
	frames, _ := m.AppendFrames([][]byte{[]byte("client-identity")})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseRouter(frames); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParsePlainRequest: an MDP/0.1 request as a zguide client sends it.
func BenchmarkParsePlainRequest(b *testing.B) {
	m := Message{Version: V01, Kind: ClientRequest, Service: "echo", Body: [][]byte{make([]byte, 64)}}
	frames, _ := m.AppendFrames([][]byte{[]byte("client-identity")})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseRouter(frames); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeWorkerRequest: the broker forwarding a request to a worker
// into a reused frame slice.
func BenchmarkEncodeWorkerRequest(b *testing.B) {
	m := Message{Version: V02, Kind: WorkerRequest, Ext: true, Address: []byte("client-identity"),
		UUID: testUUID, Timeout: time.Second, Flags: FlagClientUUID, Body: [][]byte{make([]byte, 64)}}
	dst := make([][]byte, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = m.AppendFrames(dst[:1]); err != nil {
			b.Fatal(err)
		}
	}
}
