package lark

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

type botInfo struct {
	OpenID  string `json:"open_id"`
	AppName string `json:"app_name"`
}

// fetchBotInfo asks GET /open-apis/bot/v3/info who the bot is; it also
// proves the credentials work.
func (a *Adapter) fetchBotInfo(ctx context.Context) (botInfo, error) {
	resp, err := a.api.Get(ctx, "/open-apis/bot/v3/info", nil, larkcore.AccessTokenTypeTenant)
	if err != nil {
		return botInfo{}, fmt.Errorf("lark: bot info: %w", a.classify(apiResult{}, err))
	}
	var body struct {
		larkcore.CodeError
		Bot botInfo `json:"bot"`
	}
	if err := json.Unmarshal(resp.RawBody, &body); err != nil {
		return botInfo{}, fmt.Errorf("lark: bot info: http %d: undecodable answer", resp.StatusCode)
	}
	if se := a.classify(result(resp, body.CodeError), nil); se != nil {
		return botInfo{}, fmt.Errorf("lark: bot info: %w", se)
	}
	if body.Bot.OpenID == "" {
		return botInfo{}, fmt.Errorf("lark: bot info: no open_id (is the bot capability enabled?)")
	}
	return body.Bot, nil
}

// IsGroupAdmin reports whether userID (an open_id) is one of the configured
// admins or the owner or a manager of the chat. Chat info is cached for
// AdminCacheTTL; it needs the im:chat:readonly (or im:chat) scope.
func (a *Adapter) IsGroupAdmin(ctx context.Context, chatID, userID string) (bool, error) {
	if a.admins[userID] {
		return true, nil
	}
	if chatID == "" || userID == "" {
		return false, nil
	}
	admins, ok := a.chats.Get(chatID)
	if !ok {
		var err error
		admins, err = a.fetchChatAdmins(ctx, chatID)
		if err != nil {
			return false, err
		}
		a.chats.Put(chatID, admins)
	}
	return admins[userID], nil
}

func (a *Adapter) fetchChatAdmins(ctx context.Context, chatID string) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req := larkim.NewGetChatReqBuilder().ChatId(chatID).UserIdType(larkim.UserIdTypeOpenId).Build()
	resp, err := a.api.Im.V1.Chat.Get(ctx, req)
	if err != nil {
		return nil, a.classify(apiResult{}, err)
	}
	if se := a.classify(result(resp.ApiResp, resp.CodeError), nil); se != nil {
		return nil, se
	}
	out := map[string]bool{}
	if d := resp.Data; d != nil {
		if d.OwnerId != nil && *d.OwnerId != "" {
			out[*d.OwnerId] = true
		}
		for _, id := range d.UserManagerIdList {
			out[id] = true
		}
	}
	return out, nil
}

// UserName implements chat.NameResolver: the display name of an open_id,
// or the open_id itself when the platform will not say. The bot asks it
// while processing, after the event was acknowledged.
func (a *Adapter) UserName(ctx context.Context, userID string) string {
	return a.userName(ctx, userID)
}

// knownName is a name already cached (seen in a mention or looked up
// before), or "": it never calls the platform.
func (a *Adapter) knownName(openID string) string {
	n, _ := a.names.Get(openID)
	return n
}

// userName finds a display name for an open_id: names seen in mentions
// first, then the contact API (needs contact:user.base:readonly; without
// it the id is used and the failure remembered for a while).
func (a *Adapter) userName(ctx context.Context, openID string) string {
	if openID == "" {
		return ""
	}
	if n, ok := a.names.Get(openID); ok && n != "" {
		return n
	}
	if _, miss := a.misses.Get(openID); miss {
		return openID
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	name := ""
	resp, err := a.api.Get(ctx, "/open-apis/contact/v3/users/"+url.PathEscape(openID)+"?user_id_type=open_id", nil, larkcore.AccessTokenTypeTenant)
	if err == nil {
		var body struct {
			larkcore.CodeError
			Data struct {
				User struct {
					Name string `json:"name"`
				} `json:"user"`
			} `json:"data"`
		}
		if json.Unmarshal(resp.RawBody, &body) == nil && body.Code == 0 {
			name = body.Data.User.Name
		}
	}
	if name == "" {
		if ctx.Err() == nil { // a timeout is not an answer
			a.misses.Put(openID, struct{}{})
		}
		return openID
	}
	a.names.Put(openID, name)
	return name
}

// tokenCache is the SDK's token store. The SDK keeps its token manager in
// a package global that every lark.NewClient replaces, so all adapters in
// the process share this one cache (keys include app id and secret); the
// adapter clears it when the platform says a token is no longer valid.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]tokenEntry
}

type tokenEntry struct {
	v   string
	exp time.Time
}

var sharedTokenCache = &tokenCache{m: map[string]tokenEntry{}}

func (c *tokenCache) Set(_ context.Context, key, value string, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = tokenEntry{v: value, exp: time.Now().Add(ttl)}
	return nil
}

func (c *tokenCache) Get(_ context.Context, key string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || time.Now().After(e.exp) {
		return "", nil
	}
	return e.v, nil
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}
