package io.parhelia.engine.runtime;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** What the tests of a container entry script leave running: the script, and the tmux server it started under a private TMUX_TMPDIR. */
public final class EntryScriptProcess {

    private EntryScriptProcess() {
    }

    /** Kills {@code entry} (may be null) and the tmux server whose socket is under {@code tmuxTmpDir}. */
    public static void stop(Process entry, Path tmuxTmpDir) throws IOException, InterruptedException {
        if (entry != null && entry.isAlive()) {
            entry.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        ProcessBuilder killServer = new ProcessBuilder("tmux", "kill-server").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        killServer.environment().put("TMUX_TMPDIR", tmuxTmpDir.toString());
        killServer.start().waitFor(5, TimeUnit.SECONDS);
    }
}
