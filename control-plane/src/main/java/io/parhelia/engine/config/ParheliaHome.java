package io.parhelia.engine.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/** The layout of a Parhelia home directory. Nothing Parhelia keeps lives anywhere else. */
public record ParheliaHome(Path root) {

    public Path database() {
        return root.resolve("parhelia.db");
    }

    public Path configFile() {
        return root.resolve("config.toml");
    }

    public Path workspaces() {
        return root.resolve("workspaces");
    }

    /** One directory per task run: the agent's argv, log, pid and exit code. */
    public Path runs() {
        return root.resolve("runs");
    }

    /** The audit log: one chained JSON line per tool call and refused HTTP request, a file per UTC day. */
    public Path audit() {
        return root.resolve("audit");
    }

    /** Creates the home and its directories, private to the user, when missing. */
    public ParheliaHome create() {
        try {
            for (Path dir : List.of(root, workspaces(), runs())) {
                if (!Files.isDirectory(dir)) {
                    Files.createDirectories(dir);
                    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                }
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the Parhelia home " + root + ": " + e.getMessage(), e);
        }
    }
}
