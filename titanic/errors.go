package titanic

import "errors"

// Sentinel errors, tested with errors.Is.
var (
	// ErrCorrupt: the store file is damaged or truncated, or holds a record
	// that fails its checksum. The store refuses to open rather than serve
	// wrong data; move the file away (keep it for inspection) to start anew.
	ErrCorrupt = errors.New("titanic: store is corrupt")
	// ErrLocked: another process holds the store file open.
	ErrLocked = errors.New("titanic: store is locked by another process")
	// ErrFull: accepting the request would take the store's live bytes past
	// its bound (MaxBytes). Nothing was stored.
	ErrFull = errors.New("titanic: store full")
	// ErrClosed: the store or server has been closed.
	ErrClosed = errors.New("titanic: closed")
	// ErrConfig: a Config or StoreOptions field is out of range.
	ErrConfig = errors.New("titanic: invalid configuration")
)
