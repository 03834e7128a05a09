package io.parhelia.engine.runtime;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Runs agents on this machine, each in a detached tmux session (so a person can attach) or, without
 * tmux, in a new setsid session. Either way the agent outlives the server that started it: Claude
 * Code starts and stops stdio MCP servers freely.
 *
 * <p>Each task gets a run directory {@code runsDir/<taskId>/} holding the agent command (as a
 * NUL-separated file, never a shell string), the runner script that executes it, the agent's log and,
 * once it ends, its exit code. Everything needed to find an agent again is in the run directory and in
 * the handle's attributes, so a later server process can adopt agents started by an earlier one.
 */
public final class LocalRuntime implements AgentRuntime {

    public static final String NAME = "local";
    /** tmux session names (and handle ids) are this prefix plus the task id. */
    public static final String SESSION_PREFIX = "parhelia-";

    public static final String ATTR_MODE = "mode";
    public static final String ATTR_PID = "pid";
    public static final String ATTR_PID_STARTED_AT = "pidStartedAt";
    public static final String ATTR_RUN_DIR = "runDir";
    public static final String ATTR_WORKSPACE = "workspace";
    public static final String ATTR_TMUX_SOCKET = "tmuxSocket";

    public static final String LOG_FILE = RunDirectory.LOG_FILE;
    public static final String EXIT_CODE_FILE = RunDirectory.EXIT_CODE_FILE;

    /** How agents are detached. AUTO picks tmux when it is on PATH, else setsid. */
    public enum Mode { AUTO, TMUX, SETSID }

    /**
     * @param mode           how agents are detached
     * @param tmuxBinary     the tmux command, a name looked up on PATH or a path
     * @param tmuxSocket     a tmux server name ({@code tmux -L}); null for the default server, which is
     *                       the one a person's plain {@code tmux attach} reaches
     * @param commandTimeout the limit for each tmux or kill invocation
     */
    public record Options(Mode mode, String tmuxBinary, String tmuxSocket, Duration commandTimeout) {
        private static final Pattern SOCKET_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

        public Options {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(tmuxBinary, "tmuxBinary");
            Objects.requireNonNull(commandTimeout, "commandTimeout");
            if (tmuxSocket != null && !SOCKET_NAME.matcher(tmuxSocket).matches()) {
                throw new IllegalArgumentException("tmux socket name must match " + SOCKET_NAME + ": " + tmuxSocket);
            }
        }

        public static Options defaults() {
            return new Options(Mode.AUTO, "tmux", null, Duration.ofSeconds(10));
        }

        public Options withMode(Mode newMode) {
            return new Options(newMode, tmuxBinary, tmuxSocket, commandTimeout);
        }

        public Options withTmuxSocket(String newSocket) {
            return new Options(mode, tmuxBinary, newSocket, commandTimeout);
        }

        public Options withTmuxBinary(String newBinary) {
            return new Options(mode, newBinary, tmuxSocket, commandTimeout);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(LocalRuntime.class);

    private static final String NO_TERMINAL = "this agent runs without a terminal because tmux was not installed when it started";
    private static final String HANDLE_FILE = "handle.json";
    private static final Pattern TASK_ID = RunDirectory.TASK_ID;
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final Duration KILL_CONFIRMATION = Duration.ofSeconds(5);
    private static final Duration RESIGNAL_AFTER = Duration.ofMillis(500);
    /** A server started inside someone's tmux must not inherit which server that was. */
    private static final Map<String, String> TMUX_ENVIRONMENT = nullValued("TMUX", "TMUX_PANE");

    private final Path runsDir;
    private final Options options;
    private final Mode mode;
    private final ObjectMapper json = new ObjectMapper();

    /** Tmux when it is installed, else setsid, with tmux's default server. */
    public LocalRuntime(Path runsDir) {
        this(runsDir, Options.defaults());
    }

    public LocalRuntime(Path runsDir, Mode mode) {
        this(runsDir, Options.defaults().withMode(mode));
    }

    public LocalRuntime(Path runsDir, Options options) {
        this.runsDir = runsDir.toAbsolutePath().normalize();
        this.options = options;
        this.mode = options.mode() != Mode.AUTO ? options.mode()
                : findExecutable(options.tmuxBinary()).isPresent() ? Mode.TMUX : Mode.SETSID;
    }

    /** The detaching mode in use: TMUX or SETSID, never AUTO. */
    public Mode mode() {
        return mode;
    }

    public Path runsDir() {
        return runsDir;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability availability() {
        if (findExecutable("bash").isEmpty()) {
            return Availability.unusable("bash is not on PATH; the local runtime needs it to run agents");
        }
        if (mode == Mode.SETSID) {
            return findExecutable("setsid").isPresent()
                    ? Availability.usable("agents run detached with setsid; attaching to them is unavailable because "
                            + "tmux is not installed (install it, e.g. apt-get install tmux, for attachable agents)")
                    : Availability.unusable("neither tmux nor setsid is on PATH; install tmux (apt-get install tmux)");
        }
        try {
            ExternalCommand.Result version = tmux(List.of("-V"));
            if (version.succeeded()) {
                return Availability.usable(version.stdout().strip() + ": agents run in detached tmux sessions");
            }
            return Availability.unusable("tmux -V failed: " + version.output());
        } catch (RuntimeFailure e) {
            return Availability.unusable("tmux is not usable: " + e.getMessage()
                    + "; install it (apt-get install tmux) or use the setsid mode");
        }
    }

    /**
     * Waits until the runner has written its pid file, which it does once it can record the agent's
     * end: returning earlier would let a prompt stop kill it before it records anything.
     */
    private void awaitRunnerReady(String taskId, RunDirectory runDir, long pid, Optional<Instant> startedAt) throws RuntimeFailure {
        long deadline = System.nanoTime() + options.commandTimeout().toNanos();
        while (!runDir.runnerReady()) {
            boolean alive = startedAt.map(at -> ProcessTable.isAlive(pid, at)).orElse(false);
            if (!alive && !runDir.runnerReady()) {
                throw new RuntimeFailure("the agent runner for task " + taskId + " exited at once; see " + runDir.path());
            }
            if (System.nanoTime() > deadline) {
                throw new RuntimeFailure("the agent runner for task " + taskId + " did not start within "
                        + options.commandTimeout().toSeconds() + " s");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RuntimeFailure("interrupted while starting the agent for task " + taskId, e);
            }
        }
    }

    @Override
    public RuntimeHandle start(LaunchSpec spec) throws RuntimeFailure {
        RunDirectory.validate(spec);
        Path runDir = runsDir.resolve(spec.taskId());
        RunDirectory run = new RunDirectory(runDir);
        Path workspace = spec.workspace().toAbsolutePath().normalize();
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put(ATTR_MODE, mode.name().toLowerCase(Locale.ROOT));
        attributes.put(ATTR_RUN_DIR, runDir.toString());
        attributes.put(ATTR_WORKSPACE, workspace.toString());
        if (mode == Mode.TMUX && options.tmuxSocket() != null) {
            attributes.put(ATTR_TMUX_SOCKET, options.tmuxSocket());
        }
        try {
            Files.createDirectories(runsDir);
            setAsidePreviousRun(spec.taskId(), runDir);
            run.prepare(spec, spec.env());
            Files.createDirectories(workspace);
            writeHandleFile(runDir, attributes);
        } catch (IOException e) {
            throw new RuntimeFailure("could not prepare the run directory " + runDir + ": " + e.getMessage(), e);
        }

        long pid = mode == Mode.TMUX
                ? startInTmux(spec.taskId(), workspace, run.runner(), runDir)
                : startWithSetsid(workspace, run.runner(), runDir);
        Optional<Instant> startedAt = ProcessTable.startTime(pid);
        awaitRunnerReady(spec.taskId(), run, pid, startedAt);
        attributes.put(ATTR_PID, Long.toString(pid));
        startedAt.ifPresent(at -> attributes.put(ATTR_PID_STARTED_AT, at.toString()));
        try {
            writeHandleFile(runDir, attributes);
        } catch (IOException e) {
            log.warn("agent for task {} started as pid {} but its handle file could not be written", spec.taskId(), pid, e);
        }
        log.info("started agent for task {} in {} mode, pid {}", spec.taskId(), attributes.get(ATTR_MODE), pid);
        return handle(spec.taskId(), attributes);
    }

    @Override
    public RuntimeState inspect(RuntimeHandle handle) throws RuntimeFailure {
        RuntimeHandle known = completed(handle);
        RunDirectory runDir = new RunDirectory(runDir(known));
        Optional<RuntimeState> exited = runDir.exitState();
        if (exited.isPresent()) {
            return exited.get();
        }
        Optional<Long> pid = pid(known);
        Optional<Instant> startedAt = pidStartedAt(known);
        boolean running;
        if (pid.isPresent() && startedAt.isPresent()) {
            running = ProcessTable.isAlive(pid.get(), startedAt.get());
        } else {
            // Only a launch still under way lacks a pid; its tmux session is the evidence then.
            running = isTmux(known) && sessionExists(known);
        }
        if (running) {
            return RuntimeState.running();
        }
        // The runner may have written its exit code and ended between the two looks.
        return runDir.exitState().orElse(RuntimeState.missing());
    }

    @Override
    public List<RuntimeHandle> listManaged() throws RuntimeFailure {
        Map<String, RuntimeHandle> found = new LinkedHashMap<>();
        if (mode == Mode.TMUX) {
            for (String taskId : tmuxTaskIds()) {
                Path runDir = runsDir.resolve(taskId);
                if (Files.isDirectory(runDir)) {
                    found.put(taskId, handleFromRunDir(taskId, runDir));
                } else {
                    log.debug("tmux session {}{} has no run directory under {}; it belongs to another Parhelia home",
                            SESSION_PREFIX, taskId, runsDir);
                }
            }
        }
        for (Path runDir : runDirs()) {
            String taskId = runDir.getFileName().toString();
            if (found.containsKey(taskId)) {
                continue;
            }
            RuntimeHandle handle = handleFromRunDir(taskId, runDir);
            Optional<Long> pid = pid(handle);
            Optional<Instant> startedAt = pidStartedAt(handle);
            if (pid.isPresent() && startedAt.isPresent() && ProcessTable.isAlive(pid.get(), startedAt.get())) {
                found.put(taskId, handle);
            }
        }
        return List.copyOf(found.values());
    }

    @Override
    public void stop(RuntimeHandle handle, Duration grace) throws RuntimeFailure {
        RuntimeHandle known = completed(handle);
        Optional<Long> pid = pid(known);
        Optional<Instant> startedAt = pidStartedAt(known);
        // The runner's pid is also its process group and session id. While any member remains the
        // kernel does not hand the number out again, so it is ours unless a stranger now owns it.
        if (pid.isPresent() && startedAt.isPresent() && !ProcessTable.isReused(pid.get(), startedAt.get())) {
            long group = pid.get();
            signalGroup(group, "TERM");
            // Once more after a moment, for an agent the runner spawned just as the first signal came.
            Duration first = grace.compareTo(RESIGNAL_AFTER) < 0 ? grace : RESIGNAL_AFTER;
            boolean gone = awaitGroupGone(group, first);
            if (!gone && grace.compareTo(first) > 0) {
                signalGroup(group, "TERM");
                gone = awaitGroupGone(group, grace.minus(first));
            }
            if (!gone) {
                log.info("agent {} still running {} after SIGTERM; sending SIGKILL", known.id(), grace);
                signalGroup(group, "KILL");
                if (!awaitGroupGone(group, KILL_CONFIRMATION)) {
                    throw new RuntimeFailure("processes of agent " + known.id() + " (process group " + group
                            + ") survived SIGKILL for " + KILL_CONFIRMATION.toSeconds() + " s");
                }
            }
        }
        if (isTmux(known)) {
            killSession(known);
        }
    }

    @Override
    public LogChunk readLog(RuntimeHandle handle, long offset, int maxBytes) throws RuntimeFailure {
        return new RunDirectory(runDir(handle)).readLog(offset, maxBytes);
    }

    @Override
    public AttachInfo attachInfo(RuntimeHandle handle) {
        if (!isTmux(handle)) {
            return new AttachInfo(null, List.of(), false, NO_TERMINAL
                    + "; install tmux (e.g. apt-get install tmux) so that new tasks can be attached to, and read "
                    + "this one's output with parhelia_task_logs");
        }
        String socket = socketOf(handle);
        String command = options.tmuxBinary() + (socket == null ? "" : " -L " + socket) + " attach -t " + handle.id();
        List<String> check = tmuxArgv(socket, List.of("has-session", "-t", "=" + handle.id()));
        boolean exists;
        try {
            exists = sessionExists(handle);
        } catch (RuntimeFailure e) {
            return new AttachInfo(command, check, false, "tmux could not be asked about the session: " + e.getMessage());
        }
        if (exists) {
            return new AttachInfo(command, check, true, null);
        }
        String ended = new RunDirectory(runDir(handle)).exitState()
                .map(state -> "the agent has exited with code " + state.exitCode())
                .orElse("the agent's tmux session is gone");
        return new AttachInfo(command, check, false, ended + "; read its output with parhelia_task_logs");
    }

    @Override
    public void sendInput(RuntimeHandle handle, String text, boolean enter) throws RuntimeFailure {
        if (!isTmux(handle)) {
            throw new RuntimeFailure(NO_TERMINAL + ", so it cannot take input");
        }
        if (!sessionExists(handle)) {
            throw new RuntimeFailure("the agent's tmux session " + handle.id() + " is gone");
        }
        // -l types the text literally: no key names, no tmux parsing of what the caller sent.
        String pane = "=" + handle.id() + ":";
        List<List<String>> keystrokes = new ArrayList<>();
        if (!text.isEmpty()) {
            keystrokes.add(List.of("send-keys", "-t", pane, "-l", "--", text));
        }
        if (enter) {
            keystrokes.add(List.of("send-keys", "-t", pane, "Enter"));
        }
        for (List<String> keys : keystrokes) {
            ExternalCommand.Result result = tmux(socketOf(handle), keys);
            if (!result.succeeded()) {
                throw new RuntimeFailure("tmux could not type into " + handle.id() + ": " + result.output());
            }
        }
    }

    // --- starting ---------------------------------------------------------------------------------

    /** A task started again (a retry) must not see its previous run's exit code. */
    private void setAsidePreviousRun(String taskId, Path runDir) throws IOException, RuntimeFailure {
        if (!Files.exists(runDir)) {
            return;
        }
        RuntimeHandle previous = handleFromRunDir(taskId, runDir);
        if (inspect(previous).phase() == RuntimeState.Phase.RUNNING) {
            throw new RuntimeFailure("task " + taskId + " already has a running agent (" + previous.id() + ")");
        }
        if (isTmux(previous)) {
            // A tmux configured with remain-on-exit keeps the finished session, which would block the name.
            killSession(previous);
        }
        Path aside = runsDir.resolve(taskId + ".replaced-" + System.currentTimeMillis());
        Files.move(runDir, aside);
        log.info("moved the previous run directory of task {} to {}", taskId, aside);
    }

    private long startInTmux(String taskId, Path workspace, Path runner, Path runDir) throws RuntimeFailure {
        String bash = findExecutable("bash").orElseThrow(() -> new RuntimeFailure("bash is not on PATH")).toString();
        List<String> newSession = List.of("new-session", "-d", "-s", SESSION_PREFIX + taskId,
                "-x", "200", "-y", "50", "-c", workspace.toString(), "-P", "-F", "#{pane_pid}",
                "--", bash, runner.toString(), runDir.toString());
        ExternalCommand.Result result = tmux(newSession);
        // tmux exits with its last session; a command that reached it as it exited made nothing, and the next starts a server.
        for (int retry = 0; retry < 3 && !result.succeeded() && isServerGoneMidway(result); retry++) {
            result = tmux(newSession);
        }
        if (!result.succeeded()) {
            throw new RuntimeFailure("tmux could not start the agent session for task " + taskId + ": " + result.output());
        }
        try {
            return Long.parseLong(result.stdout().strip());
        } catch (NumberFormatException e) {
            throw new RuntimeFailure("tmux started the agent session for task " + taskId
                    + " but printed no pane pid: " + result.output(), e);
        }
    }

    /**
     * setsid only forks when its caller leads a process group, which a freshly spawned child of the
     * JVM does not; so it execs in place and the child's pid is the runner's.
     */
    private static long startWithSetsid(Path workspace, Path runner, Path runDir) throws RuntimeFailure {
        String bash = findExecutable("bash").orElseThrow(() -> new RuntimeFailure("bash is not on PATH")).toString();
        String setsid = findExecutable("setsid").orElseThrow(() -> new RuntimeFailure("setsid is not on PATH")).toString();
        try {
            Process process = new ProcessBuilder(setsid, bash, runner.toString(), runDir.toString())
                    .directory(workspace.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return process.pid();
        } catch (IOException e) {
            throw new RuntimeFailure("could not start the agent with setsid: " + e.getMessage(), e);
        }
    }

    // --- stopping ---------------------------------------------------------------------------------

    private void signalGroup(long group, String signal) throws RuntimeFailure {
        ExternalCommand.Result result = ExternalCommand.run(
                List.of("kill", "-" + signal, "--", "-" + group), options.commandTimeout());
        if (!result.succeeded() && !result.output().contains("No such process")) {
            log.warn("kill -{} -- -{} failed: {}", signal, group, result.output());
        }
        if (ProcessTable.hasProcFilesystem()) {
            // Members that moved into process groups of their own are still in the session.
            try {
                for (long member : ProcessTable.liveMembers(group)) {
                    ProcessHandle.of(member).filter(process -> process.pid() != ProcessHandle.current().pid())
                            .ifPresent(process -> {
                                if ("KILL".equals(signal)) {
                                    process.destroyForcibly();
                                } else {
                                    process.destroy();
                                }
                            });
                }
            } catch (IOException e) {
                throw new RuntimeFailure("could not list the processes of group " + group + ": " + e.getMessage(), e);
            }
        }
    }

    private boolean awaitGroupGone(long group, Duration limit) throws RuntimeFailure {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            if (isGroupGone(group)) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            try {
                Thread.sleep(POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RuntimeFailure("interrupted while stopping process group " + group, e);
            }
        }
    }

    private boolean isGroupGone(long group) throws RuntimeFailure {
        if (ProcessTable.hasProcFilesystem()) {
            try {
                return ProcessTable.liveMembers(group).isEmpty();
            } catch (IOException e) {
                throw new RuntimeFailure("could not list the processes of group " + group + ": " + e.getMessage(), e);
            }
        }
        return !ExternalCommand.run(List.of("kill", "-0", "--", "-" + group), options.commandTimeout()).succeeded();
    }

    private void killSession(RuntimeHandle handle) throws RuntimeFailure {
        ExternalCommand.Result result = tmux(socketOf(handle), List.of("kill-session", "-t", "=" + handle.id()));
        if (!result.succeeded() && !isAbsentSessionOrServer(result)) {
            throw new RuntimeFailure("tmux could not kill session " + handle.id() + ": " + result.output());
        }
    }

    // --- tmux -------------------------------------------------------------------------------------

    private List<String> tmuxTaskIds() throws RuntimeFailure {
        ExternalCommand.Result result = tmux(List.of("list-sessions", "-F", "#{session_name}"));
        if (!result.succeeded()) {
            if (isNoServer(result)) {
                return List.of();
            }
            throw new RuntimeFailure("tmux could not list sessions: " + result.output());
        }
        List<String> taskIds = new ArrayList<>();
        for (String session : result.stdout().split("\n")) {
            if (session.startsWith(SESSION_PREFIX)) {
                String taskId = session.substring(SESSION_PREFIX.length());
                if (TASK_ID.matcher(taskId).matches()) {
                    taskIds.add(taskId);
                }
            }
        }
        return taskIds;
    }

    private boolean sessionExists(RuntimeHandle handle) throws RuntimeFailure {
        // "=" asks for this exact name; tmux otherwise also accepts a session whose name merely starts with it.
        ExternalCommand.Result result = tmux(socketOf(handle), List.of("has-session", "-t", "=" + handle.id()));
        if (result.succeeded()) {
            return true;
        }
        if (isAbsentSessionOrServer(result)) {
            return false;
        }
        throw new RuntimeFailure("tmux could not look for session " + handle.id() + ": " + result.output());
    }

    private ExternalCommand.Result tmux(List<String> arguments) throws RuntimeFailure {
        return tmux(options.tmuxSocket(), arguments);
    }

    private ExternalCommand.Result tmux(String socket, List<String> arguments) throws RuntimeFailure {
        return ExternalCommand.run(tmuxArgv(socket, arguments), options.commandTimeout(), TMUX_ENVIRONMENT);
    }

    private List<String> tmuxArgv(String socket, List<String> arguments) {
        List<String> argv = new ArrayList<>();
        argv.add(options.tmuxBinary());
        if (socket != null) {
            argv.add("-L");
            argv.add(socket);
        }
        argv.addAll(arguments);
        return argv;
    }

    /** With no server (or no socket yet) there are no sessions; that is an answer, not a failure. */
    private static boolean isNoServer(ExternalCommand.Result result) {
        String error = result.stderr();
        return error.contains("no server running")
                || (error.contains("error connecting to") && error.contains("No such file or directory"));
    }

    /**
     * Also true when the server exits while answering: killing an agent's process group ends its
     * session, and tmux exits with its last session.
     */
    private static boolean isAbsentSessionOrServer(ExternalCommand.Result result) {
        String error = result.stderr();
        // "no current target": tmux 3.3's answer when the session is being destroyed as the command resolves it.
        return isNoServer(result) || error.contains("can't find session") || error.contains("no current target")
                || isServerGoneMidway(result);
    }

    /** The server exited while the command talked to it. */
    private static boolean isServerGoneMidway(ExternalCommand.Result result) {
        String error = result.stderr();
        return error.contains("server exited") || error.contains("lost server");
    }

    private String socketOf(RuntimeHandle handle) {
        return handle.attributes().get(ATTR_TMUX_SOCKET);
    }

    // --- run directories and handles --------------------------------------------------------------

    private static RuntimeHandle handle(String taskId, Map<String, String> attributes) {
        return new RuntimeHandle(NAME, SESSION_PREFIX + taskId, taskId, attributes);
    }

    private Path runDir(RuntimeHandle handle) {
        String recorded = handle.attributes().get(ATTR_RUN_DIR);
        return recorded != null ? Path.of(recorded) : runsDir.resolve(handle.taskId());
    }

    private static boolean isTmux(RuntimeHandle handle) {
        return Mode.TMUX.name().equalsIgnoreCase(handle.attributes().get(ATTR_MODE));
    }

    /** A handle listed while its launch was under way lacks the pid; the run directory may have it by now. */
    private RuntimeHandle completed(RuntimeHandle handle) {
        if (handle.attributes().containsKey(ATTR_PID)) {
            return handle;
        }
        try {
            Map<String, String> recorded = readHandleFile(runDir(handle));
            return recorded.containsKey(ATTR_PID) ? handle(handle.taskId(), recorded) : handle;
        } catch (IOException e) {
            return handle;
        }
    }

    private RuntimeHandle handleFromRunDir(String taskId, Path runDir) throws RuntimeFailure {
        try {
            return handle(taskId, readHandleFile(runDir));
        } catch (NoSuchFileException e) {
            // The directory exists but the launch has not recorded anything yet.
            Map<String, String> attributes = new HashMap<>();
            attributes.put(ATTR_MODE, mode.name().toLowerCase(Locale.ROOT));
            attributes.put(ATTR_RUN_DIR, runDir.toString());
            if (mode == Mode.TMUX && options.tmuxSocket() != null) {
                attributes.put(ATTR_TMUX_SOCKET, options.tmuxSocket());
            }
            return handle(taskId, attributes);
        } catch (IOException e) {
            throw new RuntimeFailure("could not read the handle of task " + taskId + " in " + runDir + ": " + e.getMessage(), e);
        }
    }

    private List<Path> runDirs() throws RuntimeFailure {
        if (!Files.isDirectory(runsDir)) {
            return List.of();
        }
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(runsDir,
                path -> Files.isDirectory(path) && TASK_ID.matcher(path.getFileName().toString()).matches())) {
            entries.forEach(dirs::add);
        } catch (IOException | UncheckedIOException e) {
            throw new RuntimeFailure("could not list the run directories in " + runsDir + ": " + e.getMessage(), e);
        }
        return dirs;
    }

    /** Throws NoSuchFileException while a launch has not written the file yet (reading a File would throw FileNotFoundException). */
    private Map<String, String> readHandleFile(Path runDir) throws IOException {
        try (InputStream in = Files.newInputStream(runDir.resolve(HANDLE_FILE))) {
            return json.readValue(in, new TypeReference<Map<String, String>>() { });
        }
    }

    private void writeHandleFile(Path runDir, Map<String, String> attributes) throws IOException {
        Path temporary = runDir.resolve(HANDLE_FILE + ".tmp");
        json.writeValue(temporary.toFile(), attributes);
        Files.move(temporary, runDir.resolve(HANDLE_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Optional<Long> pid(RuntimeHandle handle) {
        String pid = handle.attributes().get(ATTR_PID);
        try {
            return pid == null ? Optional.empty() : Optional.of(Long.parseLong(pid));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Instant> pidStartedAt(RuntimeHandle handle) {
        String startedAt = handle.attributes().get(ATTR_PID_STARTED_AT);
        try {
            return startedAt == null ? Optional.empty() : Optional.of(Instant.parse(startedAt));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    // --- helpers ----------------------------------------------------------------------------------

    static Optional<Path> findExecutable(String command) {
        if (command.contains(File.separator)) {
            Path path = Path.of(command);
            return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        String searchPath = System.getenv("PATH");
        if (searchPath == null) {
            return Optional.empty();
        }
        Set<String> directories = new LinkedHashSet<>(Arrays.asList(searchPath.split(File.pathSeparator)));
        for (String directory : directories) {
            if (directory.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(directory, command);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static Map<String, String> nullValued(String... names) {
        Map<String, String> removals = new HashMap<>();
        for (String name : names) {
            removals.put(name, null);
        }
        return removals;
    }
}
