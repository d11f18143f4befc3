package console

import "collabbot/bot/chat"

var _ chat.Health = (*Adapter)(nil)

// Connected implements chat.Health: the console has no connection to
// lose, so it is always up.
func (a *Adapter) Connected() bool { return true }
