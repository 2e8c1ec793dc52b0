package kv

import (
	"fmt"
	"io"
	"log"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// hclogZap is an hclog.Logger that writes to a *zap.Logger, so raft's logs
// go where the node's go. hclog's key/value pairs become zap fields.
type hclogZap struct {
	z       *zap.Logger
	name    string
	implied []any
}

func newHclog(z *zap.Logger) hclog.Logger { return &hclogZap{z: z} }

func (h *hclogZap) fields(args []any) []zap.Field {
	all := append(append([]any{}, h.implied...), args...)
	fs := make([]zap.Field, 0, len(all)/2+1)
	for i := 0; i < len(all); i += 2 {
		key, ok := all[i].(string)
		if !ok || i+1 == len(all) {
			fs = append(fs, zap.Any("extra", all[i]))
			i--
			continue
		}
		fs = append(fs, zap.Any(key, hclogValue(all[i+1])))
	}
	return fs
}

// hclogValue renders hclog.Fmt values (raft logs its configuration so) as
// the formatted string they stand for.
func hclogValue(v any) any {
	if f, ok := v.(hclog.Format); ok && len(f) > 0 {
		if format, ok := f[0].(string); ok {
			return fmt.Sprintf(format, f[1:]...)
		}
	}
	return v
}

func (h *hclogZap) Log(level hclog.Level, msg string, args ...any) {
	if ce := h.z.Check(zapLevel(level), msg); ce != nil {
		ce.Write(h.fields(args)...)
	}
}

func zapLevel(l hclog.Level) zapcore.Level {
	switch l {
	case hclog.Trace, hclog.Debug:
		return zapcore.DebugLevel
	case hclog.Warn:
		return zapcore.WarnLevel
	case hclog.Error:
		return zapcore.ErrorLevel
	}
	return zapcore.InfoLevel
}

func (h *hclogZap) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }
func (h *hclogZap) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }
func (h *hclogZap) Info(msg string, args ...any)  { h.Log(hclog.Info, msg, args...) }
func (h *hclogZap) Warn(msg string, args ...any)  { h.Log(hclog.Warn, msg, args...) }
func (h *hclogZap) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }
func (h *hclogZap) IsTrace() bool                 { return false }
func (h *hclogZap) IsDebug() bool                 { return h.z.Core().Enabled(zapcore.DebugLevel) }
func (h *hclogZap) IsInfo() bool                  { return h.z.Core().Enabled(zapcore.InfoLevel) }
func (h *hclogZap) IsWarn() bool                  { return h.z.Core().Enabled(zapcore.WarnLevel) }
func (h *hclogZap) IsError() bool                 { return h.z.Core().Enabled(zapcore.ErrorLevel) }
func (h *hclogZap) ImpliedArgs() []any            { return h.implied }
func (h *hclogZap) Name() string                  { return h.name }

func (h *hclogZap) With(args ...any) hclog.Logger {
	return &hclogZap{z: h.z, name: h.name, implied: append(append([]any{}, h.implied...), args...)}
}

func (h *hclogZap) Named(name string) hclog.Logger {
	if h.name != "" {
		name = h.name + "." + name
	}
	return h.ResetNamed(name)
}

func (h *hclogZap) ResetNamed(name string) hclog.Logger {
	return &hclogZap{z: h.z.Named(name), name: name, implied: h.implied}
}

// SetLevel is not supported: the zap logger's level rules.
func (h *hclogZap) SetLevel(hclog.Level) {}

func (h *hclogZap) GetLevel() hclog.Level {
	switch {
	case h.IsDebug():
		return hclog.Debug
	case h.IsInfo():
		return hclog.Info
	case h.IsWarn():
		return hclog.Warn
	}
	return hclog.Error
}

func (h *hclogZap) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(h.StandardWriter(opts), "", 0)
}

func (h *hclogZap) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return &zapWriter{h}
}

type zapWriter struct{ h *hclogZap }

func (w *zapWriter) Write(p []byte) (int, error) {
	msg := string(p)
	if n := len(msg); n > 0 && msg[n-1] == '\n' {
		msg = msg[:n-1]
	}
	w.h.Info(msg)
	return len(p), nil
}
