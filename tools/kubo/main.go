// Command ipfs is Kubo, the reference IPFS daemon, built from its Go module at the version pinned in go.mod.
// Kubo's own go.mod carries exclude directives, which `go install …/cmd/ipfs@version` refuses; this wrapper
// module is the custom build Kubo documents (docs/customizing.md): a main that calls the cmd/ipfs/kubo package.
package main

import (
	"os"

	"github.com/ipfs/kubo/cmd/ipfs/kubo"
)

func main() {
	os.Exit(kubo.Start(kubo.BuildDefaultEnv))
}
