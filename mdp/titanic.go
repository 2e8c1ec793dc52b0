package mdp

import (
	"encoding/hex"
	"fmt"

	"github.com/google/uuid"
)

// The Titanic Service Protocol (RFC 9) services, carried as ordinary client
// requests. Replies start with a status frame: StatusOK, StatusPending,
// StatusBadRequest (unknown UUID) or StatusInternal.
const (
	TitanicRequest = "titanic.request" // body: service · request…  reply: status · UUID
	TitanicReply   = "titanic.reply"   // body: UUID                 reply: status · reply…
	TitanicClose   = "titanic.close"   // body: UUID                 reply: status
)

// FormatUUID writes u as 32 lower-case hexadecimal digits without hyphens,
// the form Titanic puts on the wire.
func FormatUUID(u uuid.UUID) string { return hex.EncodeToString(u[:]) }

// ParseUUID reads the 32-hex-digit form (either case). Anything else,
// including the hyphenated 36-character form, is ErrBadUUID.
func ParseUUID(s string) (uuid.UUID, error) {
	var u uuid.UUID
	if len(s) != 32 {
		return u, fmt.Errorf("%w: %d characters, want 32 hex digits", ErrBadUUID, len(s))
	}
	if _, err := hex.Decode(u[:], []byte(s)); err != nil {
		return u, fmt.Errorf("%w: %q: %v", ErrBadUUID, s, err)
	}
	return u, nil
}
