package mdp

import "fmt"

// Frames encodes m into a new slice of frames, without any ROUTER identity.
func (m *Message) Frames() ([][]byte, error) {
	return m.AppendFrames(make([][]byte, 0, 6+len(m.Body)))
}

// AppendFrames appends the frames of m to dst (a ROUTER sender puts the
// peer's identity in dst first) and returns the extended slice. Body and
// Address frames are appended as they are, not copied; header and command
// frames are shared read-only slices.
func (m *Message) AppendFrames(dst [][]byte) ([][]byte, error) {
	if err := m.check(); err != nil {
		return dst, err
	}
	side := m.Kind.Side()
	if m.Version == V01 {
		dst = append(dst, emptyFrame)
	}
	dst = append(dst, headerFrame(m.Version, side))
	if m.Version == V01 && side == SideClient {
		// MDP/0.1 client messages carry no command frame.
		dst = append(dst, []byte(m.Service))
		return append(dst, m.Body...), nil
	}
	cmd, _ := commandByte(m.Version, m.Kind, m.Ext)
	dst = append(dst, commandFrames[cmd])
	switch m.Kind {
	case ClientRequest, ClientPartial, ClientFinal, ClientError, ClientCancel:
		dst = append(dst, []byte(m.Service))
		if m.Ext {
			dst = append(dst, m.extFrame())
		}
		if m.Kind == ClientCancel {
			return dst, nil // XCANCEL: service and UUID, nothing else
		}
	case WorkerReady:
		dst = append(dst, []byte(m.Service))
		if m.Ext {
			dst = append(dst, encodeReadyMeta(m.Tier, m.Capacity, m.Heartbeat))
			if m.hasReadyInfo() {
				dst = append(dst, encodeReadyInfo(m))
			}
		}
		return dst, nil
	case WorkerRequest, WorkerPartial, WorkerFinal, WorkerError:
		dst = append(dst, m.Address, emptyFrame)
		if m.Ext {
			dst = append(dst, m.extFrame())
		}
	default: // HEARTBEAT, DISCONNECT, DRAIN
		return dst, nil
	}
	if m.Kind == ClientError || m.Kind == WorkerError {
		return append(dst, FormatStatus(m.Status, m.Text)), nil
	}
	return append(dst, m.Body...), nil
}

// extFrame is the extension frame after the service or address: the request
// meta for requests, the bare UUID for replies and errors.
func (m *Message) extFrame() []byte {
	if m.Kind == ClientRequest || m.Kind == WorkerRequest {
		return encodeRequestMeta(m.UUID, m.Flags, m.Timeout)
	}
	b := make([]byte, uuidLen)
	copy(b, m.UUID[:])
	return b
}

// check validates m for encoding, so that we never put on the wire what we
// would refuse to parse.
func (m *Message) check() error {
	if m.Version != V01 && m.Version != V02 {
		return fmt.Errorf("%w: version %d", ErrInvalidMessage, m.Version)
	}
	if m.Ext && m.Version != V02 {
		return fmt.Errorf("%w: the extension needs %s", ErrInvalidMessage, V02)
	}
	side := m.Kind.Side()
	if side == 0 {
		return fmt.Errorf("%w: kind %d", ErrInvalidMessage, m.Kind)
	}
	if !(m.Version == V01 && side == SideClient) {
		if _, ok := commandByte(m.Version, m.Kind, m.Ext); !ok {
			return fmt.Errorf("%w: %s has no %s (ext=%v)", ErrInvalidMessage, m.Version, m.Kind, m.Ext)
		}
	} else if m.Kind != ClientRequest && m.Kind != ClientFinal {
		return fmt.Errorf("%w: %s has no %s", ErrInvalidMessage, m.Version, m.Kind)
	}
	switch m.Kind {
	case ClientRequest, ClientPartial, ClientFinal, ClientError, ClientCancel:
		if err := ValidateService(m.Service); err != nil {
			return err
		}
		if m.Kind == ClientCancel && len(m.Body) > 0 {
			return fmt.Errorf("%w: %s carries no body", ErrInvalidMessage, m.Kind)
		}
	case WorkerReady:
		if err := ValidateWorkerService(m.Service); err != nil {
			return err
		}
		if m.Ext && (m.Tier == 0 || m.Capacity == 0) {
			return fmt.Errorf("%w: tier %d and capacity %d must be at least 1", ErrBadExtension, m.Tier, m.Capacity)
		}
		if m.Ext {
			if err := m.validateReadyInfo(); err != nil {
				return err
			}
		} else if m.hasReadyInfo() {
			return fmt.Errorf("%w: mode, name, version and metadata need the extension", ErrInvalidMessage)
		}
	case WorkerRequest, WorkerPartial, WorkerFinal, WorkerError:
		if len(m.Address) == 0 || len(m.Address) > MaxAddressLen {
			return fmt.Errorf("%w: %d bytes", ErrBadAddress, len(m.Address))
		}
	}
	if m.Ext && m.Flags&^knownFlags != 0 {
		return fmt.Errorf("%w: unknown flag bits 0x%02x", ErrBadExtension, byte(m.Flags&^knownFlags))
	}
	if (m.Kind == ClientError || m.Kind == WorkerError) && !m.Status.Valid() {
		return fmt.Errorf("%w: code %d", ErrBadStatus, m.Status)
	}
	return nil
}
