package mdp

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
)

var testUUID = uuid.MustParse("0123456789abcdef0123456789abcdef")

// sampleMessages holds one message of every kind each version and the
// extension can carry, with the direction it travels.
func sampleMessages() []struct {
	dir Direction
	msg Message
} {
	body := [][]byte{[]byte("hello"), {}}
	addr := []byte{0, 0x6b, 0x8b, 0x45, 0x67}
	type dm = struct {
		dir Direction
		msg Message
	}
	return []dm{
		{ToBroker, Message{Version: V01, Kind: ClientRequest, Service: "echo", Body: body}},
		{FromBroker, Message{Version: V01, Kind: ClientFinal, Service: "echo", Body: body}},
		{ToBroker, Message{Version: V02, Kind: ClientRequest, Service: "echo", Body: body}},
		{FromBroker, Message{Version: V02, Kind: ClientPartial, Service: "echo", Body: body}},
		{FromBroker, Message{Version: V02, Kind: ClientFinal, Service: "echo"}},
		{ToBroker, Message{Version: V02, Kind: ClientRequest, Ext: true, Service: "echo", UUID: testUUID, Flags: FlagFailFast, Timeout: 1500 * time.Millisecond, Body: body}},
		{FromBroker, Message{Version: V02, Kind: ClientPartial, Ext: true, Service: "echo", UUID: testUUID, Body: body}},
		{FromBroker, Message{Version: V02, Kind: ClientFinal, Ext: true, Service: "echo", UUID: testUUID, Body: body}},
		{FromBroker, Message{Version: V02, Kind: ClientError, Ext: true, Service: "echo", UUID: testUUID, Status: StatusOverloaded, Text: "queue full"}},
		{ToBroker, Message{Version: V02, Kind: ClientCancel, Ext: true, Service: "echo", UUID: testUUID}},
		{ToBroker, Message{Version: V01, Kind: WorkerReady, Service: "echo"}},
		{FromBroker, Message{Version: V01, Kind: WorkerRequest, Address: addr, Body: body}},
		{ToBroker, Message{Version: V01, Kind: WorkerFinal, Address: addr, Body: body}},
		{ToBroker, Message{Version: V01, Kind: WorkerHeartbeat}},
		{FromBroker, Message{Version: V01, Kind: WorkerDisconnect}},
		{ToBroker, Message{Version: V02, Kind: WorkerReady, Service: "echo"}},
		{FromBroker, Message{Version: V02, Kind: WorkerRequest, Address: addr, Body: body}},
		{ToBroker, Message{Version: V02, Kind: WorkerPartial, Address: addr, Body: body}},
		{ToBroker, Message{Version: V02, Kind: WorkerFinal, Address: addr, Body: body}},
		{FromBroker, Message{Version: V02, Kind: WorkerHeartbeat}},
		{ToBroker, Message{Version: V02, Kind: WorkerDisconnect}},
		{ToBroker, Message{Version: V02, Kind: WorkerReady, Ext: true, Service: "echo", Tier: 2, Capacity: 64, Heartbeat: 250 * time.Millisecond}},
		{FromBroker, Message{Version: V02, Kind: WorkerRequest, Ext: true, Address: addr, UUID: testUUID, Flags: FlagClientUUID, Timeout: time.Second, Body: body}},
		{ToBroker, Message{Version: V02, Kind: WorkerPartial, Ext: true, Address: addr, UUID: testUUID, Body: body}},
		{ToBroker, Message{Version: V02, Kind: WorkerFinal, Ext: true, Address: addr, UUID: testUUID, Body: body}},
		{ToBroker, Message{Version: V02, Kind: WorkerError, Ext: true, Address: addr, UUID: testUUID, Status: StatusInternal}},
		{ToBroker, Message{Version: V02, Kind: WorkerDrain, Ext: true}},
	}
}

func TestEncodeParseRoundTrip(t *testing.T) {
	for _, tc := range sampleMessages() {
		t.Run(tc.msg.Version.String()+"/"+tc.msg.Kind.String(), func(t *testing.T) {
			frames, err := tc.msg.Frames()
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			got, err := Parse(frames, tc.dir)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			again, err := got.Frames()
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if !framesEqual(frames, again) {
				t.Fatalf("re-encoded frames differ:\n%x\n%x", frames, again)
			}
			if got.Kind != tc.msg.Kind || got.Ext != tc.msg.Ext || got.Service != tc.msg.Service ||
				got.UUID != tc.msg.UUID || got.Timeout != tc.msg.Timeout || got.Status != tc.msg.Status ||
				got.Tier != tc.msg.Tier || got.Heartbeat != tc.msg.Heartbeat || got.Capacity != tc.msg.Capacity || !bytes.Equal(got.Address, tc.msg.Address) {
				t.Fatalf("parsed %+v, want %+v", got, tc.msg)
			}
		})
	}
}

func TestParseRouterStripsIdentity(t *testing.T) {
	m := Message{Version: V02, Kind: ClientRequest, Service: "echo", Body: [][]byte{[]byte("x")}}
	frames, _ := m.AppendFrames([][]byte{[]byte("peer")})
	id, got, err := ParseRouter(frames)
	if err != nil || string(id) != "peer" || got.Service != "echo" {
		t.Fatalf("ParseRouter = %q, %+v, %v", id, got, err)
	}
	if _, _, err := ParseRouter([][]byte{{}, []byte("MDPC02")}); !errors.Is(err, ErrBadIdentity) {
		t.Fatalf("empty identity: %v", err)
	}
}

func TestDirectionIsChecked(t *testing.T) {
	m := Message{Version: V02, Kind: WorkerRequest, Address: []byte("c"), Body: [][]byte{[]byte("x")}}
	frames, _ := m.Frames()
	got, err := Parse(frames, ToBroker)
	if !errors.Is(err, ErrUnexpectedCommand) {
		t.Fatalf("worker REQUEST to the broker: %v", err)
	}
	if got.Version != V02 || got.Kind != WorkerRequest {
		t.Fatalf("error result keeps version and kind: %+v", got)
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	bad := []Message{
		{Version: 3, Kind: ClientRequest, Service: "x"},
		{Version: V01, Kind: ClientRequest, Ext: true, Service: "x"},
		{Version: V01, Kind: ClientPartial, Service: "x"},
		{Version: V02, Kind: ClientRequest, Service: ""},
		{Version: V02, Kind: WorkerReady, Service: "mmi.service"},
		{Version: V02, Kind: WorkerReady, Ext: true, Service: "x", Tier: 0, Capacity: 1},
		{Version: V02, Kind: WorkerFinal},
		{Version: V02, Kind: ClientError, Ext: true, Service: "x", Status: 42},
		{Version: V02, Kind: ClientCancel, Service: "x"},                                         // plain 0.2 has no cancel
		{Version: V02, Kind: ClientCancel, Ext: true, Service: "x", Body: [][]byte{[]byte("b")}}, // XCANCEL carries no body
		{Version: V02, Kind: KindUnknown},
	}
	for _, m := range bad {
		if _, err := m.Frames(); err == nil {
			t.Errorf("encoded %+v without error", m)
		}
	}
}

func TestTimeoutRoundsUp(t *testing.T) {
	m := Message{Version: V02, Kind: ClientRequest, Ext: true, Service: "x", Timeout: time.Microsecond}
	frames, _ := m.Frames()
	got, err := Parse(frames, ToBroker)
	if err != nil || got.Timeout != time.Millisecond {
		t.Fatalf("1µs timeout parsed back as %v, %v; want 1ms", got.Timeout, err)
	}
}

func TestUUIDForm(t *testing.T) {
	s := FormatUUID(testUUID)
	if s != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("FormatUUID = %q", s)
	}
	if u, err := ParseUUID("0123456789ABCDEF0123456789ABCDEF"); err != nil || u != testUUID {
		t.Fatalf("ParseUUID upper case = %v, %v", u, err)
	}
	for _, bad := range []string{"", testUUID.String(), "0123456789abcdef0123456789abcdeg"} {
		if _, err := ParseUUID(bad); !errors.Is(err, ErrBadUUID) {
			t.Errorf("ParseUUID(%q) = %v, want ErrBadUUID", bad, err)
		}
	}
}

func TestStatusFrame(t *testing.T) {
	good := map[string]Status{"200": 200, "503 overloaded": 503, "404 no such service": 404}
	for in, want := range good {
		s, text, err := ParseStatus([]byte(in))
		if err != nil || s != want || string(FormatStatus(s, text)) != in {
			t.Errorf("ParseStatus(%q) = %d %q %v", in, s, text, err)
		}
	}
	for _, in := range []string{"", "20", "2000", "200 ", "abc", "099", "20x"} {
		if _, _, err := ParseStatus([]byte(in)); !errors.Is(err, ErrBadStatus) {
			t.Errorf("ParseStatus(%q) = %v, want ErrBadStatus", in, err)
		}
	}
}

func framesEqual(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
