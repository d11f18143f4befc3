//go:build tools

// This file pins modules that the adapters and their fakes import, so that
// go.sum stays complete while several packages are written in parallel.
package collabbot

import (
	_ "github.com/6tail/lunar-go/HolidayUtil"
	_ "github.com/cenkalti/backoff/v5"
	_ "github.com/gogo/protobuf/proto"
	_ "github.com/gorilla/websocket"
	_ "github.com/larksuite/oapi-sdk-go/v3"
	_ "github.com/larksuite/oapi-sdk-go/v3/card"
	_ "github.com/larksuite/oapi-sdk-go/v3/core"
	_ "github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	_ "github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	_ "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
	_ "github.com/larksuite/oapi-sdk-go/v3/ws"
	_ "github.com/open-dingtalk/dingtalk-stream-sdk-go/card"
	_ "github.com/open-dingtalk/dingtalk-stream-sdk-go/chatbot"
	_ "github.com/open-dingtalk/dingtalk-stream-sdk-go/client"
	_ "github.com/open-dingtalk/dingtalk-stream-sdk-go/payload"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/robfig/cron/v3"
	_ "go.etcd.io/bbolt"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/time/rate"
)
