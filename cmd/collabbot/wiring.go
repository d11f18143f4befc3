package main

import (
	"context"
	"fmt"
	"time"

	"collabbot/adapters/platform"
	"collabbot/bot/remind"
)

// addPlatformAdapters builds every enabled registered platform's adapter
// and hands it to the app (started later by startAdapters). An adapter in
// webhook mode mounts its handler on the app's HTTP listener, when there is
// one.
func (a *app) addPlatformAdapters(cfg Config) error {
	for _, p := range platform.All() {
		pc := cfg.Platforms[p.Name]
		if pc == nil || !pc.Enabled() {
			continue
		}
		for _, w := range pc.Warnings(p.Name) {
			a.log.Warn(w)
		}
		env := platform.Env{Log: a.log.With("platform", p.Name), Metrics: a.reg}
		if cfg.HTTP.Listen != "" {
			env.Handle = a.mux.Handle
		}
		ad, err := pc.Build(env)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		a.adapters = append(a.adapters, ad)
	}
	return nil
}

// startEngine starts the reminder engine on the send stage. In the console
// the cron ticks on the simulated clock and /clock runs what is due at once.
func (a *app) startEngine(ctx context.Context, now func() time.Time) error {
	e, err := remind.New(a.bot, a.stage, remind.Options{Location: a.bot.Defaults().Location, Log: a.log, Now: now})
	if err != nil {
		return err
	}
	a.engine = e
	return e.Start(ctx)
}
