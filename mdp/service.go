package mdp

import (
	"fmt"
	"strings"
)

// MaxServiceLen is the longest service name accepted, in bytes. 255 keeps a
// name within one length byte for implementations that want that, and is far
// beyond any name in use.
const MaxServiceLen = 255

// MaxAddressLen is the longest client address accepted in a worker message:
// ZeroMQ routing identities are at most 255 bytes.
const MaxAddressLen = 255

// ValidateService checks a service name: 1 to MaxServiceLen bytes, no ASCII
// control characters. It does not check the mmi. namespace; see
// ValidateWorkerService.
func ValidateService(name string) error {
	if name == "" {
		return ErrEmptyService
	}
	if len(name) > MaxServiceLen {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrServiceTooLong, len(name), MaxServiceLen)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: byte 0x%02x at %d", ErrBadService, c, i)
		}
	}
	return nil
}

// ValidateWorkerService is ValidateService plus the rule that workers may not
// register names in the broker's reserved mmi. namespace.
func ValidateWorkerService(name string) error {
	if err := ValidateService(name); err != nil {
		return err
	}
	if IsMMI(name) {
		return fmt.Errorf("%w: %q belongs to the broker", ErrReservedService, name)
	}
	return nil
}

// IsMMI reports whether a service name is in the broker's mmi. namespace.
func IsMMI(name string) bool { return strings.HasPrefix(name, MMIPrefix) }
