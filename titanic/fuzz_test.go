package titanic

import (
	"bytes"
	"testing"

	"github.com/majordomo-go/majordomo/mdp"
)

// FuzzProtocol: whatever the frames, each service answers with a status
// frame of three digits, never panics, and stores only what it says 200 to.
func FuzzProtocol(f *testing.F) {
	f.Add(uint8(0), []byte("echo"), []byte("x"))
	f.Add(uint8(0), []byte("echo\tttl=5"), []byte(""))
	f.Add(uint8(1), []byte("0123456789abcdef0123456789abcdef"), []byte{})
	f.Add(uint8(2), []byte("0123456789ABCDEF0123456789ABCDEF"), []byte("extra"))
	f.Add(uint8(0), []byte{}, []byte{0xff})
	store, err := OpenStore(f.TempDir(), StoreOptions{MaxBytes: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	f.Fuzz(func(t *testing.T, which uint8, a, b []byte) {
		p, submitted := newTestProtocol(t, store)
		before := store.Stats().Pending
		for _, body := range [][][]byte{{a, b}, {a}, {}} {
			var r [][]byte
			switch which % 3 {
			case 0:
				r = p.request(body, nil)
			case 1:
				r = p.reply(body)
			default:
				r = p.close(body)
			}
			if len(r) == 0 {
				t.Fatalf("empty answer to %q", body)
			}
			st, text, err := mdp.ParseStatus(r[0])
			if err != nil || text != "" || !bytes.Equal(r[0], mdp.FormatStatus(st, "")) {
				t.Fatalf("status frame %q (%v)", r[0], err)
			}
		}
		if which%3 == 0 && store.Stats().Pending-before != int64(len(*submitted)) {
			t.Fatalf("%d stored, %d said 200", store.Stats().Pending-before, len(*submitted))
		}
	})
}
