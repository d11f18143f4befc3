package main

// The chat platforms this binary serves. Each registers itself with
// adapters/platform; nothing else in cmd/ names one.
import (
	_ "collabbot/adapters/dingtalk"
	_ "collabbot/adapters/lark"
)
