// Command pulumi-language-python is this project's Python language host for the Pulumi engine.
//
// Pulumi's own host lives in a Go module (sdk/python/cmd/pulumi-language-python) that the module
// proxy reachable from these machines refuses to serve, so scripts/install-pulumi builds this
// small replacement against the same pinned sdk/v3 release. It implements what `pulumi preview`,
// `up`, `refresh` and `destroy` of a Python program need: it runs the SDK's own
// pulumi-language-python-exec script (shipped in sdk/v3) inside the project's virtualenv.
// Plugin discovery, dependency installation and code generation are not offered: the project's
// scripts install its dependencies, and its only plugin is the dynamic-provider shim.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// exitCodeUserActionable is what pulumi-language-python-exec returns after it has already shown
// the user an error: the engine should stop without printing a second, less useful one.
const exitCodeUserActionable = 32

func main() {
	flags := flag.NewFlagSet("pulumi-language-python", flag.ContinueOnError)
	flags.String("tracing", "", "tracing endpoint (accepted for compatibility, unused)")
	flags.String("root", "", "project root (accepted for compatibility, unused)")
	// The glog flags the engine passes its plugins with --logflow / -v (accepted, unused: this
	// host logs nothing of its own).
	flags.Bool("logtostderr", false, "accepted for compatibility, unused")
	flags.Bool("alsologtostderr", false, "accepted for compatibility, unused")
	flags.Bool("logflow", false, "accepted for compatibility, unused")
	flags.Int("v", 0, "accepted for compatibility, unused")
	flags.String("stderrthreshold", "", "accepted for compatibility, unused")
	flags.String("log_dir", "", "accepted for compatibility, unused")
	if err := flags.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	execScript, err := findExecScript()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	exitWithParent()
	host := &languageHost{execScript: execScript, engineAddress: flags.Arg(0)}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "could not start the language host RPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "language host RPC stopped serving: %v\n", err)
		os.Exit(1)
	}
}

// exitWithParent ends this host when the engine that started it dies (a kill -9 of the CLI stops
// nobody): the parent pid changes when the process is re-parented.
func exitWithParent() {
	parent := os.Getppid()
	go func() {
		for range time.Tick(time.Second) {
			if os.Getppid() != parent {
				os.Exit(1)
			}
		}
	}()
}

// findExecScript locates the SDK's program runner, installed beside this binary.
func findExecScript() (string, error) {
	const name = "pulumi-language-python-exec"
	if self, err := os.Executable(); err == nil {
		candidate := filepath.Join(filepath.Dir(self), name)
		if _, statErr := os.Stat(candidate); statErr == nil {
			return candidate, nil
		}
	}
	if path, err := exec.LookPath(name); err == nil {
		return path, nil
	}
	return "", fmt.Errorf("%s was not found beside the language host or on PATH; run scripts/install-pulumi", name)
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	execScript    string
	mu            sync.Mutex
	engineAddress string
}

func (h *languageHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// The project's programs need no plugins beyond the bundled dynamic-provider shim, which the
// engine finds beside the pulumi binary when the first dynamic resource is registered.
func (h *languageHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *languageHost) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *languageHost) GetProgramDependencies(
	context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *languageHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	return &pulumirpc.AboutResponse{Executable: "python3", Version: ""}, nil
}

// InstallDependencies is a no-op: the project's own scripts create and fill the virtualenv.
func (h *languageHost) InstallDependencies(
	_ *pulumirpc.InstallDependenciesRequest, _ grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	return nil
}

// Run executes the Python program with the SDK's runner inside the configured virtualenv.
func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	root := info.GetRootDirectory()
	if root == "" {
		root = req.GetPwd()
	}
	program := req.GetProgram()
	if info.GetProgramDirectory() != "" {
		program = filepath.Join(info.GetProgramDirectory(), info.GetEntryPoint())
	}
	if program == "" {
		program = "."
	}

	python, venv, err := resolvePython(root, info.GetOptions().AsMap())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	configJSON, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("serializing configuration: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing secret configuration keys: %w", err)
	}

	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()

	args := []string{"-u", h.execScript,
		"--monitor", req.GetMonitorAddress(),
		"--engine", engine,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--dry_run", strconv.FormatBool(req.GetDryRun()),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
		"--organization", req.GetOrganization(),
		"--root_directory", root,
		program,
	}
	args = append(args, req.GetArgs()...)

	cmd := exec.CommandContext(ctx, python, args...)
	// The program dies with this host (which dies with the engine, see exitWithParent).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Dir = req.GetPwd()
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
	)
	if venv != "" {
		cmd.Env = append(cmd.Env,
			"VIRTUAL_ENV="+venv,
			"PULUMI_RUNTIME_VIRTUALENV="+venv,
			"PATH="+filepath.Join(venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		)
	}

	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitCodeUserActionable {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not start %s: %v", python, err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// resolvePython picks the interpreter: the `virtualenv` runtime option of Pulumi.yaml (relative
// to the project root), else PULUMI_PYTHON_CMD, else python3 from PATH.
func resolvePython(root string, options map[string]interface{}) (python string, venv string, err error) {
	if raw, ok := options["virtualenv"].(string); ok && raw != "" {
		venv = raw
		if !filepath.IsAbs(venv) {
			venv = filepath.Join(root, venv)
		}
		python = filepath.Join(venv, "bin", "python")
		if _, statErr := os.Stat(python); statErr != nil {
			return "", "", fmt.Errorf(
				"the virtualenv %q named in Pulumi.yaml has no bin/python; create it with `make venv`", venv)
		}
		return python, venv, nil
	}
	if cmd := strings.TrimSpace(os.Getenv("PULUMI_PYTHON_CMD")); cmd != "" {
		return cmd, "", nil
	}
	path, lookErr := exec.LookPath("python3")
	if lookErr != nil {
		return "", "", errors.New("python3 was not found on PATH")
	}
	return path, "", nil
}
