package titanic

import (
	"testing"

	"github.com/majordomo-go/majordomo/mdp"
)

func TestPlainClientRequestReplyClose(t *testing.T) {
	b := fastBroker(t)
	srv := startTitanic(t, b, t.TempDir())
	startWorker(t, b, "echo", 1, echo)
	c := newTiclient(t, b.Endpoint)

	id := c.submit("echo", "Hello", "world")
	if r := c.await(id); joined(r) != "200|Hello|world" {
		t.Fatalf("titanic.reply = %q, want 200 and the echo", r)
	}
	if r := c.call(mdp.TitanicReply, id); joined(r) != "200|Hello|world" {
		t.Fatalf("titanic.reply again = %q: a reply must not delete", r)
	}
	if r := c.call(mdp.TitanicClose, id); joined(r) != "200" {
		t.Fatalf("titanic.close = %q", r)
	}
	if r := c.call(mdp.TitanicReply, id); joined(r) != "400" {
		t.Fatalf("titanic.reply after close = %q, want 400", r)
	}
	if r := c.call(mdp.TitanicClose, id); joined(r) != "200" {
		t.Fatalf("titanic.close of a closed UUID = %q, want 200", r)
	}
	st := srv.Stats()
	if st.Stored != 1 || st.Replied != 1 || st.Dispatched != 1 || st.Pending != 0 || st.Store.Commits == 0 {
		t.Fatalf("stats %+v", st)
	}
}
