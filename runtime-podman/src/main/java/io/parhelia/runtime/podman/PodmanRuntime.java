package io.parhelia.runtime.podman;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ulimit;
import com.github.dockerjava.api.model.Volume;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.AttachInfo;
import io.parhelia.engine.runtime.Availability;
import io.parhelia.engine.runtime.LaunchSpec;
import io.parhelia.engine.runtime.LogChunk;
import io.parhelia.engine.runtime.RunDirectory;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeHandle;
import io.parhelia.engine.runtime.RuntimeState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs each agent in a container of its own through the Docker Engine API (Podman's compatible service
 * or a Docker daemon), with the task's CPU and memory as limits, a process limit, and the network on
 * or off as the task says.
 *
 * <p>The task's workspace and run directory are mounted at the same paths as on this machine, and the
 * container runs the local runtime's runner inside a tmux session, through the container entry every
 * container runtime shares ({@link RunDirectory#CONTAINER_ENTRY}): the agent command goes in and its
 * log and exit code come out as files in the run directory, exactly as for a local agent, and stay
 * after the container is gone (it removes itself when the agent ends). A person attaches with
 * {@code podman exec -it parhelia-<task> tmux attach -t main}; session input is typed with tmux
 * inside the container. A home of the engine, mounted at {@code /home/agent}, is shared by the agents
 * of one Parhelia home, so a conversation an agent leaves there can be resumed by a later task.
 */
public final class PodmanRuntime implements AgentRuntime {

    public static final String NAME = "podman";
    /** Container names (and handle ids) are this prefix plus the task id. */
    public static final String CONTAINER_PREFIX = "parhelia-";
    /** The tmux session the agent runs in, inside its container. */
    public static final String TMUX_SESSION = RunDirectory.CONTAINER_SESSION;
    public static final String LABEL_MANAGED = "parhelia.io/managed";
    public static final String LABEL_TASK = "parhelia.io/task-id";
    /** Which Parhelia home started a container: homes sharing an engine each list only their own. */
    public static final String LABEL_HOME = "parhelia.io/home";
    public static final String ATTR_CONTAINER_ID = "containerId";
    public static final String ATTR_RUN_DIR = "runDir";
    public static final String ATTR_WORKSPACE = "workspace";
    public static final String AGENT_HOME = "/home/agent";

    private static final Logger log = LoggerFactory.getLogger(PodmanRuntime.class);
    private static final Set<String> LIVE_STATES = Set.of("running", "paused", "restarting");
    private static final Duration READY_LIMIT = Duration.ofSeconds(30);
    private static final Duration EXEC_LIMIT = Duration.ofSeconds(10);
    private static final Duration USABLE_FOR = Duration.ofSeconds(30);
    private static final Duration UNUSABLE_FOR = Duration.ofSeconds(5);

    private final ParheliaConfig.Runtime.Podman settings;
    private final Path home;
    private final Path runsDir;
    /** The engine socket (when Parhelia runs the service) and the agents' home; made by the first start. */
    private final Path stateDir;
    private ContainerEngine engine;
    private Availability availability;
    private long availabilityExpiresAt;

    /** Cheap: nothing is contacted until the runtime is used. */
    public PodmanRuntime(ParheliaConfig config) {
        this.settings = config.runtime().podman();
        this.home = config.home().toAbsolutePath().normalize();
        this.runsDir = config.paths().runs().toAbsolutePath().normalize();
        this.stateDir = home.resolve("podman");
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Reachable engine and image present; remembered briefly, since every task create asks. */
    @Override
    public synchronized Availability availability() {
        if (availability != null && System.nanoTime() - availabilityExpiresAt < 0) {
            return availability;
        }
        try {
            ContainerEngine connected = engine();
            try {
                connected.client().inspectImageCmd(settings.image()).exec();
                availability = Availability.usable(connected.describe() + "; agents run in image " + settings.image());
            } catch (NotFoundException e) {
                availability = Availability.unusable("the agent image " + settings.image() + " is not in "
                        + connected.describe() + "; build it: podman build -t " + settings.image()
                        + " dist/src/main/container (or set runtime.podman.image)");
            }
        } catch (RuntimeFailure | RuntimeException e) {
            forgetEngine();
            availability = Availability.unusable(e instanceof RuntimeFailure ? e.getMessage()
                    : "the container engine failed: " + ContainerEngine.rootMessage(e));
        }
        availabilityExpiresAt = System.nanoTime() + (availability.usable() ? USABLE_FOR : UNUSABLE_FOR).toNanos();
        return availability;
    }

    @Override
    public RuntimeHandle start(LaunchSpec spec) throws RuntimeFailure {
        RunDirectory.validate(spec);
        if (spec.resources() != null && spec.resources().gpu() != null) {
            throw new RuntimeFailure("the podman runtime gives containers no GPUs; omit gpu, or choose a runtime that has them");
        }
        String name = CONTAINER_PREFIX + spec.taskId();
        Path workspace = spec.workspace().toAbsolutePath().normalize();
        RunDirectory run = new RunDirectory(runsDir.resolve(spec.taskId()));
        Path entry = run.path().resolve(RunDirectory.CONTAINER_ENTRY);
        String user;
        try {
            Files.createDirectories(runsDir);
            Files.createDirectories(stateDir.resolve("home"));
            // The first request: it reconnects (and starts Podman's service again) when the engine went away.
            Optional<InspectContainerResponse> previous = call(client -> inspectContainer(client, name));
            setAsidePreviousRun(name, previous, run);
            run.prepare(spec, agentEnvironment(spec.env()));
            // The run directory is shared with the container: the entry finds the run files there.
            Files.write(entry, RunDirectory.resource(RunDirectory.class, RunDirectory.CONTAINER_ENTRY));
            Files.createDirectories(workspace);
            user = settings.user().isBlank() ? ownerOf(run.path()) : settings.user();
        } catch (IOException e) {
            throw new RuntimeFailure("could not prepare the run directory " + run.path() + ": " + e.getMessage(), e);
        }

        DockerClient client = engine().client();
        String containerId;
        try {
            containerId = client.createContainerCmd(settings.image())
                    .withName(name)
                    .withLabels(Map.of(LABEL_MANAGED, "true", LABEL_TASK, spec.taskId(), LABEL_HOME, home.toString()))
                    .withUser(user)
                    .withEnv("HOME=" + AGENT_HOME)
                    .withWorkingDir(workspace.toString())
                    .withCmd("bash", entry.toString(), run.path().toString())
                    .withHostConfig(hostConfig(spec, workspace, run.path()))
                    .exec().getId();
        } catch (RuntimeException e) {
            throw new RuntimeFailure("the engine could not create the agent container for task " + spec.taskId() + ": "
                    + ContainerEngine.rootMessage(e), e);
        }
        try {
            client.startContainerCmd(containerId).exec();
            awaitRunnerReady(client, containerId, run);
        } catch (RuntimeException | RuntimeFailure e) {
            removeQuietly(client, containerId);
            if (e instanceof RuntimeFailure failure) {
                throw failure;
            }
            throw new RuntimeFailure("the agent container for task " + spec.taskId() + " did not start: "
                    + ContainerEngine.rootMessage(e), e);
        }
        log.info("started agent for task {} in container {} ({})", spec.taskId(), name, containerId);
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put(ATTR_CONTAINER_ID, containerId);
        attributes.put(ATTR_RUN_DIR, run.path().toString());
        attributes.put(ATTR_WORKSPACE, workspace.toString());
        return new RuntimeHandle(NAME, name, spec.taskId(), attributes);
    }

    private HostConfig hostConfig(LaunchSpec spec, Path workspace, Path runDir) {
        HostConfig host = HostConfig.newHostConfig()
                .withBinds(new Bind(workspace.toString(), new Volume(workspace.toString())),
                        new Bind(runDir.toString(), new Volume(runDir.toString())),
                        new Bind(stateDir.resolve("home").toString(), new Volume(AGENT_HOME)))
                .withPidsLimit(settings.pidsLimit())
                .withUlimits(List.of(new Ulimit("nofile", settings.nofileLimit(), settings.nofileLimit()),
                        new Ulimit("nproc", settings.pidsLimit(), settings.pidsLimit())))
                // The runner's files are the record of how the agent ended; the container need not stay.
                .withAutoRemove(true);
        if (spec.resources() != null) {
            long memory = (long) (spec.resources().memoryGb() * (1L << 30));
            // Swap as large as the memory would double the limit the task asked for.
            host.withMemory(memory).withMemorySwap(memory).withNanoCPUs((long) (spec.resources().cpu() * 1e9));
        }
        if (!spec.network()) {
            host.withNetworkMode("none");
        }
        return host;
    }

    /** Only what the agent needs: the rest of the server's environment describes this machine, not the image. */
    private Map<String, String> agentEnvironment(Map<String, String> offered) {
        Map<String, String> passed = new LinkedHashMap<>();
        offered.forEach((variable, value) -> {
            if (variable.startsWith("PARHELIA_") || settings.passEnv().contains(variable)) {
                passed.put(variable, value);
            }
        });
        return passed;
    }

    /** A task started again must not see the previous run's exit code, nor meet its container. */
    private void setAsidePreviousRun(String name, Optional<InspectContainerResponse> previous, RunDirectory run)
            throws IOException, RuntimeFailure {
        if (previous.isPresent() && isLive(previous.get())) {
            throw new RuntimeFailure("task " + run.path().getFileName() + " already has a running agent container " + name);
        }
        if (previous.isPresent()) {
            removeQuietly(engine().client(), previous.get().getId());
        }
        if (Files.exists(run.path())) {
            Path aside = runsDir.resolve(run.path().getFileName() + ".replaced-" + System.currentTimeMillis());
            Files.move(run.path(), aside);
            log.info("moved the previous run directory of {} to {}", name, aside);
        }
    }

    /** Waits for the runner's pid file: returning earlier would let a prompt stop kill it before it records anything. */
    private void awaitRunnerReady(DockerClient client, String containerId, RunDirectory run) throws RuntimeFailure {
        long deadline = System.nanoTime() + READY_LIMIT.toNanos();
        long nextLook = System.nanoTime();
        while (!run.runnerReady()) {
            if (System.nanoTime() - nextLook >= 0) {
                Optional<InspectContainerResponse> container = inspectContainer(client, containerId);
                if ((container.isEmpty() || !isLive(container.get())) && !run.runnerReady()) {
                    throw new RuntimeFailure("the agent container exited before its runner started (exit code "
                            + container.map(c -> String.valueOf(c.getState().getExitCodeLong())).orElse("unknown")
                            + "): " + whyNotStarted(run));
                }
                nextLook = System.nanoTime() + Duration.ofMillis(100).toNanos();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new RuntimeFailure("the agent runner in container " + containerId + " did not start within "
                        + READY_LIMIT.toSeconds() + " s");
            }
            pause(Duration.ofMillis(2));
        }
    }

    /** What the container's entry said when it gave up (it writes that to the agent's log), or what to check. */
    private static String whyNotStarted(RunDirectory run) {
        try {
            String said = new String(run.readLog(0, 4096).data(), StandardCharsets.UTF_8).strip();
            if (!said.isEmpty()) {
                return said;
            }
        } catch (RuntimeFailure e) {
            log.debug("could not read the agent log in {}", run.path(), e);
        }
        return "the image needs bash and tmux; see " + run.path();
    }

    @Override
    public RuntimeState inspect(RuntimeHandle handle) throws RuntimeFailure {
        RunDirectory run = runDirectory(handle);
        Optional<RuntimeState> exited = run.exitState();
        if (exited.isPresent()) {
            return exited.get();
        }
        Optional<InspectContainerResponse> container = call(client -> inspectContainer(client, handle.id()));
        if (container.isPresent() && isLive(container.get())) {
            return RuntimeState.running();
        }
        // The runner may have written its exit code and the container ended between the two looks.
        return run.exitState().orElse(RuntimeState.missing());
    }

    /** Live containers labelled as this home's; none without asking the engine when this home never started one. */
    @Override
    public List<RuntimeHandle> listManaged() throws RuntimeFailure {
        if (!Files.isDirectory(stateDir.resolve("home"))) {
            return List.of();
        }
        List<Container> listed = call(client -> client.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(LABEL_MANAGED, "true", LABEL_HOME, home.toString())).exec());
        List<RuntimeHandle> handles = new ArrayList<>();
        for (Container container : listed) {
            String taskId = container.getLabels().get(LABEL_TASK);
            if (taskId != null && RunDirectory.TASK_ID.matcher(taskId).matches() && LIVE_STATES.contains(container.getState())) {
                handles.add(new RuntimeHandle(NAME, CONTAINER_PREFIX + taskId, taskId, Map.of(
                        ATTR_CONTAINER_ID, container.getId(),
                        ATTR_RUN_DIR, runsDir.resolve(taskId).toString())));
            }
        }
        return handles;
    }

    /** The engine's stop: SIGTERM, which the container's first process passes to the agent, then SIGKILL after grace. */
    @Override
    public void stop(RuntimeHandle handle, Duration grace) throws RuntimeFailure {
        int seconds = (int) Math.min(Integer.MAX_VALUE, (grace.toMillis() + 999) / 1000);
        call(client -> {
            try {
                client.stopContainerCmd(handle.id()).withTimeout(seconds).exec();
            } catch (NotModifiedException e) {
                log.debug("container {} had already stopped", handle.id());
            } catch (DockerException e) {
                requireGone(e);
            }
            try {
                client.removeContainerCmd(handle.id()).withForce(true).exec();
            } catch (ConflictException e) {
                log.debug("container {} is being removed already", handle.id());
            } catch (DockerException e) {
                requireGone(e);
            }
            return null;
        });
    }

    @Override
    public LogChunk readLog(RuntimeHandle handle, long offset, int maxBytes) throws RuntimeFailure {
        return runDirectory(handle).readLog(offset, maxBytes);
    }

    @Override
    public AttachInfo attachInfo(RuntimeHandle handle) {
        ContainerEngine connected;
        Optional<InspectContainerResponse> container;
        try {
            connected = engine();
            container = call(client -> inspectContainer(client, handle.id()));
        } catch (RuntimeFailure e) {
            return new AttachInfo(null, List.of(), false, "the container engine does not answer: " + e.getMessage());
        }
        String command = String.join(" ", connected.cli()) + " exec -it " + handle.id() + " tmux attach -t " + TMUX_SESSION;
        List<String> check = new ArrayList<>(connected.cli());
        check.addAll(List.of("exec", handle.id(), "tmux", "has-session", "-t", TMUX_SESSION));
        if (container.isPresent() && isLive(container.get())) {
            return new AttachInfo(command, check, true, null);
        }
        String ended = runDirectory(handle).exitState()
                .map(state -> "the agent has exited with code " + state.exitCode() + " and its container is gone")
                .orElse("the agent's container is gone");
        return new AttachInfo(command, check, false, ended + "; read its output with parhelia_task_logs");
    }

    /** tmux inside the container types the text, as a person attached to it would. */
    @Override
    public void sendInput(RuntimeHandle handle, String text, boolean enter) throws RuntimeFailure {
        String pane = TMUX_SESSION + ":";
        if (!text.isEmpty()) {
            execInContainer(handle, List.of("tmux", "send-keys", "-t", pane, "-l", "--", text));
        }
        if (enter) {
            execInContainer(handle, List.of("tmux", "send-keys", "-t", pane, "Enter"));
        }
    }

    private void execInContainer(RuntimeHandle handle, List<String> command) throws RuntimeFailure {
        call(client -> {
            String execId;
            try {
                execId = client.execCreateCmd(handle.id()).withCmd(command.toArray(String[]::new))
                        .withAttachStdout(true).withAttachStderr(true).exec().getId();
            } catch (DockerException e) {
                if (inspectContainer(client, handle.id()).filter(PodmanRuntime::isLive).isPresent()) {
                    throw e;
                }
                throw new RuntimeFailure("the agent's container " + handle.id() + " is no longer running");
            }
            StringBuilder output = new StringBuilder();
            try {
                boolean done = client.execStartCmd(execId).exec(new ResultCallback.Adapter<Frame>() {
                    @Override
                    public void onNext(Frame frame) {
                        output.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                    }
                }).awaitCompletion(EXEC_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
                if (!done) {
                    throw new RuntimeFailure(command.get(0) + " in container " + handle.id() + " did not finish within "
                            + EXEC_LIMIT.toSeconds() + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RuntimeFailure("interrupted while typing into " + handle.id(), e);
            }
            Long exitCode;
            try {
                exitCode = client.inspectExecCmd(execId).exec().getExitCodeLong();
            } catch (DockerException e) {
                // What was typed may end the agent (a "quit"), and its container with it, before this look.
                requireGone(e);
                return null;
            }
            if (exitCode == null || exitCode != 0) {
                throw new RuntimeFailure("tmux could not type into the agent's session in " + handle.id() + " (exit code "
                        + exitCode + "): " + output.toString().strip());
            }
            return null;
        });
    }

    // --- the engine -------------------------------------------------------------------------------

    private synchronized ContainerEngine engine() throws RuntimeFailure {
        if (engine == null) {
            engine = ContainerEngine.connect(settings, stateDir);
        }
        return engine;
    }

    private synchronized void forgetEngine() {
        if (engine != null) {
            ContainerEngine.closeQuietly(engine.client());
            engine = null;
        }
    }

    private interface EngineCall<T> {
        T apply(DockerClient client) throws RuntimeFailure;
    }

    /**
     * Runs a call against the engine, connecting again once when the connection fails: Parhelia's own
     * Podman service exits when idle, and is started again here.
     */
    private <T> T call(EngineCall<T> body) throws RuntimeFailure {
        try {
            return body.apply(engine().client());
        } catch (RuntimeException e) {
            if (!isConnectionFailure(e)) {
                throw new RuntimeFailure("the container engine failed: " + ContainerEngine.rootMessage(e), e);
            }
            log.info("the container engine connection failed ({}); connecting again", ContainerEngine.rootMessage(e));
            forgetEngine();
            try {
                return body.apply(engine().client());
            } catch (RuntimeException again) {
                throw new RuntimeFailure("the container engine failed: " + ContainerEngine.rootMessage(again), again);
            }
        }
    }

    private static boolean isConnectionFailure(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    /**
     * A container that removes itself when it ends may vanish between two requests; Podman then answers
     * 404, or 500 "no such container" mid-removal. Anything else is a real failure.
     */
    private static void requireGone(DockerException e) {
        if (!(e instanceof NotFoundException) && !String.valueOf(e.getMessage()).contains("no such container")) {
            throw e;
        }
    }

    private static Optional<InspectContainerResponse> inspectContainer(DockerClient client, String nameOrId) {
        try {
            return Optional.of(client.inspectContainerCmd(nameOrId).exec());
        } catch (DockerException e) {
            requireGone(e);
            return Optional.empty();
        }
    }

    private static boolean isLive(InspectContainerResponse container) {
        return container.getState() != null && LIVE_STATES.contains(String.valueOf(container.getState().getStatus()));
    }

    private static void removeQuietly(DockerClient client, String containerId) {
        try {
            client.removeContainerCmd(containerId).withForce(true).exec();
        } catch (RuntimeException e) {
            log.debug("removing container {} failed", containerId, e);
        }
    }

    private RunDirectory runDirectory(RuntimeHandle handle) {
        String recorded = handle.attributes().get(ATTR_RUN_DIR);
        return new RunDirectory(recorded != null ? Path.of(recorded) : runsDir.resolve(handle.taskId()));
    }

    /** "uid:gid" of the file's owner. */
    private static String ownerOf(Path path) throws IOException {
        return Files.getAttribute(path, "unix:uid") + ":" + Files.getAttribute(path, "unix:gid");
    }

    private static void pause(Duration duration) throws RuntimeFailure {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("interrupted while starting an agent container", e);
        }
    }
}
