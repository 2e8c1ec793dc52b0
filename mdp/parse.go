package mdp

import "fmt"

// ParseRouter parses a message as received on the broker's ROUTER socket:
// the sender's identity frame, then the message. Commands that only the
// broker sends are ErrUnexpectedCommand.
//
// On error the returned Message still has Version and Kind set when the
// header and command were recognised, so that the broker can answer a
// misbehaving worker with DISCONNECT in its own version.
func ParseRouter(frames [][]byte) (identity []byte, m Message, err error) {
	if len(frames) == 0 {
		return nil, m, ErrEmptyMessage
	}
	if len(frames[0]) == 0 {
		return nil, m, ErrBadIdentity
	}
	m, err = Parse(frames[1:], ToBroker)
	return frames[0], m, err
}

// ParseDealer parses a message as received by a client's or worker's DEALER
// socket from the broker.
func ParseDealer(frames [][]byte) (Message, error) {
	return Parse(frames, FromBroker)
}

// Parse parses one message (without a ROUTER identity frame) travelling in
// the given direction.
func Parse(frames [][]byte, dir Direction) (Message, error) {
	var m Message
	if len(frames) == 0 {
		return m, ErrEmptyMessage
	}
	var rest [][]byte
	if len(frames[0]) == 0 {
		// MDP/0.1: empty delimiter, then the header.
		if len(frames) < 2 {
			return m, fmt.Errorf("%w: empty delimiter without a header", ErrMissingFrames)
		}
		v, side, ok := parseHeader(frames[1])
		if !ok {
			return m, fmt.Errorf("%w: %q", ErrBadHeader, frames[1])
		}
		if v != V01 {
			return m, fmt.Errorf("%w: %s has none before its header", ErrUnexpectedDelimiter, v)
		}
		m.Version, rest = V01, frames[2:]
		if side == SideClient {
			return m, parseClient01(&m, rest, dir)
		}
		return m, parseWorker(&m, rest, dir, commandsW01)
	}
	v, side, ok := parseHeader(frames[0])
	if !ok {
		return m, fmt.Errorf("%w: %q", ErrBadHeader, frames[0])
	}
	if v != V02 {
		return m, fmt.Errorf("%w: %s needs one before its header", ErrMissingDelimiter, v)
	}
	m.Version, rest = V02, frames[1:]
	if side == SideClient {
		return m, parseClient02(&m, rest, dir)
	}
	return m, parseWorker(&m, rest, dir, commandsW02)
}

// parseClient01: service · body… (no command frame; the direction decides
// whether it is a REQUEST or a REPLY).
func parseClient01(m *Message, rest [][]byte, dir Direction) error {
	m.Kind = ClientRequest
	if dir == FromBroker {
		m.Kind = ClientFinal
	}
	if len(rest) < 1 {
		return fmt.Errorf("%w: %s needs a service frame", ErrMissingFrames, m.Kind)
	}
	return parseServiceBody(m, rest)
}

// parseClient02: command · service · [meta | UUID] · body… (XCANCEL:
// command · service · UUID, nothing more).
func parseClient02(m *Message, rest [][]byte, dir Direction) error {
	c, err := lookupCommand(m, rest, dir, commandsC02)
	if err != nil {
		return err
	}
	rest = rest[1:]
	need := 1
	if c.ext {
		need = 2
	}
	if len(rest) < need {
		return fmt.Errorf("%w: %s needs %d frames after the command, has %d", ErrMissingFrames, m.Kind, need, len(rest))
	}
	if !c.ext {
		return parseServiceBody(m, rest)
	}
	if err := setService(m, rest[0], false); err != nil {
		return err
	}
	switch m.Kind {
	case ClientRequest:
		err = decodeRequestMeta(rest[1], m)
	default:
		err = decodeUUID(rest[1], m)
	}
	if err != nil {
		return err
	}
	switch m.Kind {
	case ClientError:
		return parseStatusFrames(m, rest[2:])
	case ClientCancel:
		if len(rest) > 2 {
			return fmt.Errorf("%w: %s takes a service and a UUID, has %d more frames", ErrExtraFrames, m.Kind, len(rest)-2)
		}
		return nil
	}
	m.Body = rest[2:]
	return nil
}

// parseWorker handles both worker protocols; only the command table differs.
func parseWorker(m *Message, rest [][]byte, dir Direction, table map[byte]command) error {
	c, err := lookupCommand(m, rest, dir, table)
	if err != nil {
		return err
	}
	rest = rest[1:]
	switch m.Kind {
	case WorkerHeartbeat, WorkerDisconnect, WorkerDrain:
		if len(rest) != 0 {
			return fmt.Errorf("%w: %s takes no frames, has %d", ErrExtraFrames, m.Kind, len(rest))
		}
		return nil
	case WorkerReady:
		want := 1
		if c.ext {
			want = 2
		}
		if len(rest) < want {
			return fmt.Errorf("%w: %s needs %d frames, has %d", ErrMissingFrames, m.Kind, want, len(rest))
		}
		if len(rest) > want && !(c.ext && len(rest) == want+1) {
			return fmt.Errorf("%w: %s takes %d frames, has %d", ErrExtraFrames, m.Kind, want, len(rest))
		}
		if err := setService(m, rest[0], true); err != nil {
			return err
		}
		if c.ext {
			if err := decodeReadyMeta(rest[1], m); err != nil {
				return err
			}
			if len(rest) == 3 {
				return decodeReadyInfo(rest[2], m)
			}
		}
		return nil
	}
	// REQUEST, PARTIAL, FINAL, ERROR: address · "" · [meta | UUID] · body….
	need := 2
	if c.ext {
		need = 3
	}
	if len(rest) < need {
		return fmt.Errorf("%w: %s needs %d frames after the command, has %d", ErrMissingFrames, m.Kind, need, len(rest))
	}
	if len(rest[0]) == 0 || len(rest[0]) > MaxAddressLen {
		return fmt.Errorf("%w: %d bytes", ErrBadAddress, len(rest[0]))
	}
	if len(rest[1]) != 0 {
		return fmt.Errorf("%w: after the client address in %s", ErrMissingDelimiter, m.Kind)
	}
	m.Address = rest[0]
	rest = rest[2:]
	if !c.ext {
		m.Body = rest
		return nil
	}
	if m.Kind == WorkerRequest {
		err = decodeRequestMeta(rest[0], m)
	} else {
		err = decodeUUID(rest[0], m)
	}
	if err != nil {
		return err
	}
	if m.Kind == WorkerError {
		return parseStatusFrames(m, rest[1:])
	}
	m.Body = rest[1:]
	return nil
}

// lookupCommand reads the command frame, sets Kind and Ext, and checks the
// direction.
func lookupCommand(m *Message, rest [][]byte, dir Direction, table map[byte]command) (command, error) {
	if len(rest) == 0 {
		return command{}, fmt.Errorf("%w: no command frame", ErrMissingFrames)
	}
	if len(rest[0]) != 1 {
		return command{}, fmt.Errorf("%w: command frame of %d bytes", ErrUnknownCommand, len(rest[0]))
	}
	c, ok := table[rest[0][0]]
	if !ok {
		return command{}, fmt.Errorf("%w: 0x%02x", ErrUnknownCommand, rest[0][0])
	}
	m.Kind, m.Ext = c.kind, c.ext
	if c.dir != 0 && c.dir != dir {
		return c, fmt.Errorf("%w: %s travelling %s", ErrUnexpectedCommand, m.Kind, dir)
	}
	return c, nil
}

func parseServiceBody(m *Message, rest [][]byte) error {
	if err := setService(m, rest[0], false); err != nil {
		return err
	}
	m.Body = rest[1:]
	return nil
}

func setService(m *Message, b []byte, worker bool) error {
	name := string(b)
	var err error
	if worker {
		err = ValidateWorkerService(name)
	} else {
		err = ValidateService(name)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", m.Kind, err)
	}
	m.Service = name
	return nil
}

func parseStatusFrames(m *Message, rest [][]byte) error {
	if len(rest) == 0 {
		return fmt.Errorf("%w: %s needs a status frame", ErrMissingFrames, m.Kind)
	}
	if len(rest) > 1 {
		return fmt.Errorf("%w: %s takes one status frame, has %d", ErrExtraFrames, m.Kind, len(rest))
	}
	s, text, err := ParseStatus(rest[0])
	if err != nil {
		return err
	}
	m.Status, m.Text = s, text
	return nil
}
