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
	admins, ok := a.chats.get(chatID)
	if !ok {
		var err error
		admins, err = a.fetchChatAdmins(ctx, chatID)
		if err != nil {
			return false, err
		}
		a.chats.put(chatID, admins)
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

// userName finds a display name for an open_id: names seen in mentions
// first, then the contact API (needs contact:user.base:readonly; without
// it the id is used and the failure remembered for a while).
func (a *Adapter) userName(ctx context.Context, openID string) string {
	if openID == "" {
		return ""
	}
	if n, ok := a.names.lookup(openID); ok {
		if n == "" {
			return openID
		}
		return n
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
	a.names.put(openID, name)
	if name == "" {
		return openID
	}
	return name
}

// adminCache keeps chat admin sets for a while.
type adminCache struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[string]adminEntry
}

type adminEntry struct {
	admins map[string]bool
	at     time.Time
}

func newAdminCache(ttl time.Duration) *adminCache {
	return &adminCache{ttl: ttl, m: map[string]adminEntry{}}
}

func (c *adminCache) get(chatID string) (map[string]bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[chatID]
	if !ok || time.Since(e.at) > c.ttl {
		return nil, false
	}
	return e.admins, true
}

func (c *adminCache) put(chatID string, admins map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		clear(c.m)
	}
	c.m[chatID] = adminEntry{admins: admins, at: time.Now()}
}

// nameCache maps open_ids to names; an empty name is a remembered miss.
type nameCache struct {
	mu sync.Mutex
	m  map[string]nameEntry
}

type nameEntry struct {
	name string
	at   time.Time
}

func newNameCache() *nameCache { return &nameCache{m: map[string]nameEntry{}} }

func (c *nameCache) put(id, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 50000 {
		clear(c.m)
	}
	c.m[id] = nameEntry{name: name, at: time.Now()}
}

// lookup returns a cached name (names for a day, misses for 10 minutes).
func (c *nameCache) lookup(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok {
		return "", false
	}
	ttl := 24 * time.Hour
	if e.name == "" {
		ttl = 10 * time.Minute
	}
	if time.Since(e.at) > ttl {
		return "", false
	}
	return e.name, true
}

func (c *nameCache) get(id string) string {
	n, _ := c.lookup(id)
	return n
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
