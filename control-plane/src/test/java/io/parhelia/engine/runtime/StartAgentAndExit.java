package io.parhelia.engine.runtime;

import java.nio.file.Path;
import java.util.Map;

/**
 * Run in a child JVM by the detachment test: starts a long-running agent and exits at once, as an
 * MCP server does when its client goes away.
 * Arguments: runsDir mode tmuxSocket|- taskId workspace.
 */
public final class StartAgentAndExit {

    private StartAgentAndExit() {
    }

    public static void main(String[] args) throws RuntimeFailure {
        String socket = "-".equals(args[2]) ? null : args[2];
        LocalRuntime runtime = new LocalRuntime(Path.of(args[0]), LocalRuntime.Options.defaults()
                .withMode(LocalRuntime.Mode.valueOf(args[1])).withTmuxSocket(socket));
        runtime.start(new LaunchSpec(args[3], FakeAgent.command("outlive the server sleep=300"), Map.of(),
                Path.of(args[4]), null, null, null, null, true));
        System.exit(0);
    }
}
