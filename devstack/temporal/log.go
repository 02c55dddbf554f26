package temporal

import (
	"context"
	"log/slog"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// minLevel is a slog.Handler that drops records below a level that can change.
type minLevel struct {
	slog.Handler
	min *slog.LevelVar
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min.Level() && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}

// levelOff is above every level slog defines.
const levelOff = slog.Level(1 << 20)

// filteredLogger returns l filtered to warn and above, and the level to raise when stopping.
// A nil l discards everything.
func filteredLogger(l *slog.Logger) (*slog.Logger, *slog.LevelVar) {
	lv := new(slog.LevelVar)
	lv.Set(slog.LevelWarn)
	if l == nil {
		return slog.New(slog.DiscardHandler), lv
	}
	return slog.New(minLevel{l.Handler(), lv}), lv
}

// serverLogger adapts a *slog.Logger to the Temporal server's log.Logger. Tags are
// converted only when a record is actually written: the server calls With a lot and logs
// mostly below warn.
type serverLogger struct {
	l    *slog.Logger
	tags []tag.Tag
}

var (
	_ log.Logger      = serverLogger{}
	_ log.WithLogger  = serverLogger{}
	_ log.SLogWrapper = serverLogger{}
	_ log.SkipLogger  = serverLogger{}
)

func (s serverLogger) Debug(msg string, tags ...tag.Tag)  { s.log(slog.LevelDebug, msg, tags) }
func (s serverLogger) Info(msg string, tags ...tag.Tag)   { s.log(slog.LevelInfo, msg, tags) }
func (s serverLogger) Warn(msg string, tags ...tag.Tag)   { s.log(slog.LevelWarn, msg, tags) }
func (s serverLogger) Error(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }

// Panic logs and panics, as the server's own logger does.
func (s serverLogger) Panic(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(msg)
}

// Fatal logs and panics: an embedded server must not os.Exit its host process.
func (s serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(msg)
}

func (s serverLogger) With(tags ...tag.Tag) log.Logger {
	all := make([]tag.Tag, 0, len(s.tags)+len(tags))
	all = append(append(all, s.tags...), tags...)
	return serverLogger{l: s.l, tags: all}
}

func (s serverLogger) Skip(int) log.Logger { return s }

// SLog is used by server components that log through slog directly.
func (s serverLogger) SLog() *slog.Logger {
	if len(s.tags) == 0 {
		return s.l
	}
	return slog.New(s.l.Handler().WithAttrs(attrs(s.tags, nil)))
}

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) {
		return
	}
	s.l.LogAttrs(ctx, level, msg, attrs(s.tags, tags)...)
}

func attrs(a, b []tag.Tag) []slog.Attr {
	out := make([]slog.Attr, 0, len(a)+len(b))
	for _, ts := range [][]tag.Tag{a, b} {
		for _, t := range ts {
			out = append(out, slog.Any(t.Key(), t.Value()))
		}
	}
	return out
}
