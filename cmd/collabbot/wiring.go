package main

import (
	"context"
	"log/slog"
	"time"

	"collabbot/adapters/dingtalk"
	"collabbot/adapters/lark"
	"collabbot/bot"
)

// platformAdapters builds the enabled platform adapters (not started yet).
// Lark's webhook mode mounts its handler on the app's HTTP listener.
func platformAdapters(cfg Config, log *slog.Logger, a *app) ([]bot.Adapter, error) {
	var list []bot.Adapter
	if cfg.Lark.Enabled {
		l, err := lark.New(lark.Config{
			AppID: cfg.Lark.AppID, AppSecret: cfg.Lark.AppSecret, BaseURL: cfg.Lark.BaseURL, Mode: cfg.Lark.Mode,
			VerificationToken: cfg.Lark.VerificationToken, EncryptKey: cfg.Lark.EncryptKey, Admins: cfg.Lark.Admins,
		}, log.With("platform", bot.PlatformLark), a.reg)
		if err != nil {
			return nil, err
		}
		if cfg.Lark.Mode == lark.ModeWebhook {
			a.mux.Handle("/lark/events", l.HTTPHandler())
		}
		list = append(list, l)
	}
	if cfg.DingTalk.Enabled {
		d, err := dingtalk.New(dingtalk.Config{
			ClientID: cfg.DingTalk.ClientID, ClientSecret: cfg.DingTalk.ClientSecret, RobotCode: cfg.DingTalk.RobotCode,
			BaseURL: cfg.DingTalk.BaseURL, CardTemplateID: cfg.DingTalk.CardTemplateID, Admins: cfg.DingTalk.Admins,
		}, log.With("platform", bot.PlatformDingTalk), a.reg)
		if err != nil {
			for _, ad := range list {
				ad.Close()
			}
			return nil, err
		}
		list = append(list, d)
	}
	return list, nil
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
