package io.parhelia.engine.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One agent's run directory, {@code runs/<taskId>/}, and the runner script that works from it. Every
 * runtime that can share a directory with its agents uses it the same way: the local runtime runs the
 * runner on this machine, a container runtime mounts the directory and runs the same runner inside
 * the container. The agent command goes in as a NUL-separated file (never a shell string), and the
 * log and exit code come out as files, which outlive the process or container that wrote them.
 */
public final class RunDirectory {

    public static final String RUNNER = "parhelia-runner.sh";
    /**
     * The first process of an agent's container, for every runtime that runs agents in containers: it
     * runs the {@link #RUNNER} in tmux session {@link #CONTAINER_SESSION}, passes a stop on to the agent
     * and exits with the agent's exit code. Options say whether it writes the run files from its
     * arguments (when the run directory is the container's own) and copies the log to its standard output.
     */
    public static final String CONTAINER_ENTRY = "parhelia-container-entry.sh";
    /** The tmux session {@link #CONTAINER_ENTRY} runs the agent in: people attach to it and input is typed into it. */
    public static final String CONTAINER_SESSION = "main";
    public static final String LOG_FILE = "agent.log";
    public static final String EXIT_CODE_FILE = "exit_code";
    public static final String PID_FILE = "pid";

    /** Task ids become directory names (and tmux session and container names, which refuse '.' and ':'). */
    public static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");

    private static final Logger log = LoggerFactory.getLogger(RunDirectory.class);
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** Linux refuses execve when a single argument, with its terminating NUL, exceeds 32 pages. */
    private static final int MAX_ARGUMENT_BYTES = 128 * 1024 - 1;
    /** Private to this user: the environment file may hold API keys. */
    private static final FileAttribute<?> PRIVATE_DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private final Path path;

    public RunDirectory(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** Refuses what the runner could not pass on faithfully, naming the part at fault. */
    public static void validate(LaunchSpec spec) throws RuntimeFailure {
        if (spec.taskId() == null || !TASK_ID.matcher(spec.taskId()).matches()) {
            throw new RuntimeFailure("task id must match " + TASK_ID + ": " + spec.taskId());
        }
        if (spec.argv().isEmpty()) {
            throw new RuntimeFailure("the agent command is empty");
        }
        for (int i = 0; i < spec.argv().size(); i++) {
            String argument = spec.argv().get(i);
            if (argument.indexOf('\0') >= 0) {
                throw new RuntimeFailure("argument " + i + " of the agent command contains a NUL character");
            }
            int bytes = argument.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > MAX_ARGUMENT_BYTES) {
                throw new RuntimeFailure("argument " + i + " of the agent command is " + bytes
                        + " bytes; the operating system refuses arguments over " + MAX_ARGUMENT_BYTES
                        + " bytes, so pass long prompts on standard input (LaunchSpec.stdin)");
            }
        }
        for (Map.Entry<String, String> variable : spec.env().entrySet()) {
            if (!ENV_NAME.matcher(variable.getKey()).matches() || variable.getValue().indexOf('\0') >= 0) {
                throw new RuntimeFailure("invalid environment variable for the agent: " + variable.getKey());
            }
        }
        for (String cloneArgument : Arrays.asList(spec.repo(), spec.branch())) {
            if (cloneArgument != null && cloneArgument.indexOf('\0') >= 0) {
                throw new RuntimeFailure("repository and branch must not contain NUL characters");
            }
        }
        if (spec.workspace() == null) {
            throw new RuntimeFailure("the launch has no workspace");
        }
    }

    /**
     * Creates the directory (private to this user) with what the runner reads: the agent command, the
     * environment (the given variables plus PARHELIA_TASK_ID), the clone request, the standard input and
     * the runner itself. The directory must not exist yet.
     */
    public void prepare(LaunchSpec spec, Map<String, String> environment) throws IOException {
        Files.createDirectory(path, PRIVATE_DIR);
        Files.write(path.resolve("argv"), nulSeparated(spec.argv()));
        Map<String, String> variables = new LinkedHashMap<>(environment);
        variables.put("PARHELIA_TASK_ID", spec.taskId());
        List<String> assignments = new ArrayList<>();
        variables.forEach((name, value) -> assignments.add(name + "=" + value));
        Files.write(path.resolve("env"), nulSeparated(assignments));
        if (spec.repo() != null) {
            Files.write(path.resolve("clone"), nulSeparated(List.of(spec.repo(), spec.branch() == null ? "" : spec.branch())));
        }
        if (spec.stdin() != null) {
            Files.writeString(path.resolve("stdin"), spec.stdin(), StandardCharsets.UTF_8);
        }
        Files.write(runner(), resource(RunDirectory.class, RUNNER));
    }

    public Path runner() {
        return path.resolve(RUNNER);
    }

    /**
     * Whether the runner has written its pid file, which it does once it can record the agent's end:
     * a stop before that could kill it before it records anything.
     */
    public boolean runnerReady() {
        try {
            return Files.size(path.resolve(PID_FILE)) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** How the agent ended, once the runner has recorded it. */
    public Optional<RuntimeState> exitState() {
        Path exitFile = path.resolve(EXIT_CODE_FILE);
        try {
            String content = Files.readString(exitFile, StandardCharsets.US_ASCII).strip();
            if (content.isEmpty()) {
                return Optional.empty(); // the runner is writing it this instant
            }
            Instant endedAt = Files.getLastModifiedTime(exitFile).toInstant();
            return Optional.of(RuntimeState.exited(Integer.parseInt(content), endedAt));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            // The runner writes the number in one go, so a malformed file was written by someone else.
            log.warn("unreadable exit code file {}: {}", exitFile, e.toString());
            return Optional.empty();
        }
    }

    /** Up to maxBytes of the agent's log from offset; an empty chunk while there is no log yet. */
    public LogChunk readLog(long offset, int maxBytes) throws RuntimeFailure {
        if (offset < 0 || maxBytes < 0) {
            throw new IllegalArgumentException("offset and maxBytes must not be negative: " + offset + ", " + maxBytes);
        }
        Path logFile = path.resolve(LOG_FILE);
        try (RandomAccessFile file = new RandomAccessFile(logFile.toFile(), "r")) {
            long size = file.length();
            if (offset >= size) {
                return new LogChunk(new byte[0], size, size, size);
            }
            byte[] data = new byte[(int) Math.min(maxBytes, size - offset)];
            file.seek(offset);
            file.readFully(data);
            return new LogChunk(data, offset, offset + data.length, size);
        } catch (FileNotFoundException e) {
            return new LogChunk(new byte[0], 0, 0, 0);
        } catch (IOException e) {
            throw new RuntimeFailure("could not read the agent log " + logFile + ": " + e.getMessage(), e);
        }
    }

    /** A script or other file shipped next to a class. */
    public static byte[] resource(Class<?> owner, String name) throws IOException {
        try (InputStream script = owner.getResourceAsStream(name)) {
            if (script == null) {
                throw new IOException(name + " is missing from the classpath");
            }
            return script.readAllBytes();
        }
    }

    private static byte[] nulSeparated(List<String> elements) {
        StringBuilder content = new StringBuilder();
        for (String element : elements) {
            content.append(element).append('\0');
        }
        return content.toString().getBytes(StandardCharsets.UTF_8);
    }
}
