package mdp

import "errors"

// Sentinel errors. Parse and encode errors wrap exactly one of these with
// context (which frame, what was found); test them with errors.Is.
var (
	// ErrEmptyMessage: no frames at all (or only a ROUTER identity).
	ErrEmptyMessage = errors.New("mdp: empty message")
	// ErrBadIdentity: the ROUTER identity frame is empty.
	ErrBadIdentity = errors.New("mdp: empty identity frame")
	// ErrBadHeader: the protocol header is not MDPC01, MDPW01, MDPC02 or MDPW02.
	ErrBadHeader = errors.New("mdp: unknown protocol header")
	// ErrMissingDelimiter: an MDP/0.1 message without its leading empty
	// frame, or a worker REQUEST/REPLY without the empty frame after the
	// client address.
	ErrMissingDelimiter = errors.New("mdp: missing empty delimiter frame")
	// ErrUnexpectedDelimiter: an MDP/0.2 message with a leading empty frame.
	ErrUnexpectedDelimiter = errors.New("mdp: unexpected empty delimiter frame")
	// ErrUnknownCommand: the command frame is not one byte, or not a command
	// of that header's protocol.
	ErrUnknownCommand = errors.New("mdp: unknown command")
	// ErrUnexpectedCommand: a valid command travelling the wrong way, such as
	// a worker sending REQUEST to the broker.
	ErrUnexpectedCommand = errors.New("mdp: command not valid in this direction")
	// ErrMissingFrames: fewer frames than the command requires.
	ErrMissingFrames = errors.New("mdp: missing frames")
	// ErrExtraFrames: more frames than a fixed-size command allows.
	ErrExtraFrames = errors.New("mdp: unexpected extra frames")
	// ErrEmptyService: an empty service name.
	ErrEmptyService = errors.New("mdp: empty service name")
	// ErrServiceTooLong: a service name longer than MaxServiceLen bytes.
	ErrServiceTooLong = errors.New("mdp: service name too long")
	// ErrBadService: a service name holding control characters.
	ErrBadService = errors.New("mdp: invalid character in service name")
	// ErrReservedService: a worker registering a name in the broker's own
	// "mmi." namespace.
	ErrReservedService = errors.New("mdp: reserved service name")
	// ErrBadAddress: an empty or over-long client address in a worker message.
	ErrBadAddress = errors.New("mdp: invalid client address")
	// ErrBadExtension: a malformed extension frame (wrong length, unknown
	// extension version, unknown flag bits, zero tier or capacity).
	ErrBadExtension = errors.New("mdp: malformed extension frame")
	// ErrBadStatus: a status frame that is not three digits, optionally
	// followed by a space and non-empty text.
	ErrBadStatus = errors.New("mdp: malformed status frame")
	// ErrBadUUID: a textual UUID that is not 32 hexadecimal digits.
	ErrBadUUID = errors.New("mdp: malformed UUID")
	// ErrInvalidMessage: a Message that cannot be encoded (unknown kind,
	// extension on MDP/0.1, missing fields).
	ErrInvalidMessage = errors.New("mdp: invalid message")
)
