package mcpserver

import (
	"fmt"
	"sort"
	"strings"
)

// Clients are the clients ClientConfig knows, sorted.
func Clients() []string {
	out := make([]string, 0, len(clientConfigs))
	for name := range clientConfigs {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// clientConfigs are the set-up of `git codex mcp` in each client, in the
// form its documentation gives. Codex starts MCP servers with a cleared
// environment (HOME, PATH, USER and a few more) and gives a tool call 60
// seconds by default: its block names the variables git codex reads and
// allows a model's answer half an hour.
var clientConfigs = map[string]string{
	"claude": "claude mcp add git-codex -- git codex mcp\n",
	"codex": `# ~/.codex/config.toml (or .codex/config.toml in a trusted project)
[mcp_servers.git-codex]
command = "git"
args = ["codex", "mcp"]
env_vars = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_PRIMARY_MODEL"]
tool_timeout_sec = 1800
`,
	"cursor": `{
  "mcpServers": {
    "git-codex": {
      "command": "git",
      "args": ["codex", "mcp"]
    }
  }
}
`,
}

// ClientConfig returns the set-up of the server for client (claude, codex
// or cursor): a command to run, or the block to add to its configuration.
func ClientConfig(client string) (string, error) {
	c, ok := clientConfigs[strings.ToLower(strings.TrimSpace(client))]
	if !ok {
		return "", fmt.Errorf("no set-up for client %q (known: %s)", client, strings.Join(Clients(), ", "))
	}
	return c, nil
}
