package io.parhelia.engine.runtime;

import java.util.List;

/**
 * How a person attaches to an agent.
 *
 * @param command      the exact command to run in a terminal, or null when there is none
 * @param checkCommand the same target asked non-interactively (e.g. {@code tmux has-session …}): exits 0
 *                     when the command would attach now; empty when there is no command
 * @param attachable   whether running the command now would attach
 * @param reason       why not, when not attachable
 */
public record AttachInfo(String command, List<String> checkCommand, boolean attachable, String reason) {
    public AttachInfo {
        checkCommand = List.copyOf(checkCommand);
    }
}
