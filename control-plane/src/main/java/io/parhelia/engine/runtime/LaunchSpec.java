package io.parhelia.engine.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a runtime needs to start one agent.
 *
 * @param taskId    the task this agent works for; runtimes label their agents with it
 * @param argv      the agent command, already rendered; passed as argv elements, never through a shell string
 * @param env       extra environment for the agent
 * @param workspace where the agent works; created by the runtime when missing
 * @param repo      when not null, cloned into the (empty) workspace before the agent starts
 * @param branch    the branch to clone, or null for the repository's default
 * @param resources what the task asked for; runtimes that can enforce limits do
 * @param stdin     when not null, given to the agent as its standard input. Linux refuses to start a
 *                  program when one argv element is 128 KiB or longer, so a long prompt must go this
 *                  way (Claude Code's {@code -p} reads the prompt from standard input)
 * @param network   whether the agent may use the network; a runtime that cannot take it away refuses false
 */
public record LaunchSpec(
        String taskId,
        List<String> argv,
        Map<String, String> env,
        Path workspace,
        String repo,
        String branch,
        Resources resources,
        String stdin,
        boolean network) {

    public LaunchSpec {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
    }
}
