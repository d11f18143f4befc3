package main

import (
	"context"
	"log/slog"
	"time"

	"collabbot/bot"
)

// platformAdapters builds the enabled platform adapters.
func platformAdapters(cfg Config, log *slog.Logger, a *app) ([]bot.Adapter, error) {
	return nil, nil
}

// startEngine starts the reminder engine.
func (a *app) startEngine(ctx context.Context, now func() time.Time, console bool) error {
	return nil
}
