package io.parhelia.engine.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A workspace's git state when a checkpoint was taken; all null when it is not a repository. */
public record GitState(String branch, String head, Boolean dirty) {

    public static final GitState NONE = new GitState(null, null, null);
    private static final long GIT_TIMEOUT_SECONDS = 10;

    /** Asks git (argv, bounded time); anything that goes wrong reads as "not a repository". */
    public static GitState of(Path workspace) {
        if (!Files.exists(workspace.resolve(".git"))) {
            return NONE;
        }
        String head = git(workspace, "rev-parse", "HEAD");
        String branch = git(workspace, "rev-parse", "--abbrev-ref", "HEAD");
        String status = git(workspace, "status", "--porcelain");
        if (branch == null) {
            return NONE;
        }
        return new GitState(branch, head, status == null ? null : !status.isBlank());
    }

    private static String git(Path workspace, String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("git", "-C", workspace.toString()));
        argv.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readNBytes(1 << 20);
            if (!process.waitFor(GIT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return null;
            }
            return process.exitValue() == 0 ? new String(out, StandardCharsets.UTF_8).strip() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
