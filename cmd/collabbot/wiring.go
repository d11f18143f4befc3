package main

import (
	"context"
	"time"

	"collabbot/adapters/dingtalk"
	"collabbot/adapters/lark"
	"collabbot/bot"
)

// addPlatformAdapters builds the enabled platform adapters and hands them
// to the app (started later by startAdapters). Lark's webhook mode mounts
// its handler on the app's HTTP listener.
func (a *app) addPlatformAdapters(cfg Config) error {
	if cfg.Lark.Enabled {
		l, err := lark.New(lark.Config{
			AppID: cfg.Lark.AppID, AppSecret: cfg.Lark.AppSecret, BaseURL: cfg.Lark.BaseURL, Mode: cfg.Lark.Mode,
			VerificationToken: cfg.Lark.VerificationToken, EncryptKey: cfg.Lark.EncryptKey, Admins: cfg.Lark.Admins,
		}, a.log.With("platform", bot.PlatformLark), a.reg)
		if err != nil {
			return err
		}
		a.adapters = append(a.adapters, l)
		if cfg.Lark.Mode == lark.ModeWebhook {
			a.mux.Handle("/lark/events", l.HTTPHandler())
		}
	}
	if cfg.DingTalk.Enabled {
		d, err := dingtalk.New(dingtalk.Config{
			ClientID: cfg.DingTalk.ClientID, ClientSecret: cfg.DingTalk.ClientSecret, RobotCode: cfg.DingTalk.RobotCode,
			BaseURL: cfg.DingTalk.BaseURL, CardTemplateID: cfg.DingTalk.CardTemplateID, Admins: cfg.DingTalk.Admins,
		}, a.log.With("platform", bot.PlatformDingTalk), a.reg)
		if err != nil {
			return err
		}
		a.adapters = append(a.adapters, d)
	}
	return nil
}

// startEngine starts the reminder engine once the adapters are registered
// as senders. In the console the cron ticks on the simulated clock and
// /clock runs what is due at once.
func (a *app) startEngine(ctx context.Context, now func() time.Time) error {
	e, err := bot.NewEngine(a.bot, bot.EngineOptions{Registerer: a.reg, Log: a.log, Now: now})
	if err != nil {
		return err
	}
	a.engine = e
	return e.Start(ctx)
}
