// Package daemonlog builds the zap logger of majordomo's commands (mdbroker,
// mdkv, titanic) from their --log-level and --log-format settings: JSON lines
// for collectors, or console text for people, with ISO 8601 times.
//
//	if err := daemonlog.Check(level, format); err != nil { ... } // a usage error
//	log := daemonlog.New(level, format, os.Stderr)
package daemonlog

import (
	"errors"
	"fmt"
	"io"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Check says what is wrong with a level and a format, both named in the
// error, or returns nil.
func Check(level, format string) error {
	var errs []error
	if _, err := zapcore.ParseLevel(level); err != nil {
		errs = append(errs, fmt.Errorf("log level %q: want debug, info, warn or error", level))
	}
	if format != "console" && format != "json" {
		errs = append(errs, fmt.Errorf("log format %q: want console or json", format))
	}
	return errors.Join(errs...)
}

// New logs at level to w, as JSON lines (format "json") or as console text.
// Check the settings first: an unknown level logs at info.
func New(level, format string, w io.Writer) *zap.Logger {
	l, err := zapcore.ParseLevel(level)
	if err != nil {
		l = zapcore.InfoLevel
	}
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	ec.EncodeDuration = zapcore.StringDurationEncoder
	var enc zapcore.Encoder
	if format == "json" {
		enc = zapcore.NewJSONEncoder(ec)
	} else {
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	}
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), l))
}
