package io.parhelia.engine.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.engine.agent.AgentOutput;
import io.parhelia.engine.agent.StreamJsonParser;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** What every LocalRuntime mode must do, against real processes, files and git. */
abstract class LocalRuntimeContract {

    @TempDir
    Path temp;

    /** Agents started by a test, stopped afterwards even when the test failed. */
    private final List<RuntimeHandle> started = new ArrayList<>();
    private LocalRuntime runtime;

    abstract LocalRuntime.Options options();

    LocalRuntime runtime() {
        if (runtime == null) {
            runtime = new LocalRuntime(temp.resolve("runs"), options());
        }
        return runtime;
    }

    @AfterEach
    void stopLeftovers() throws RuntimeFailure {
        for (RuntimeHandle handle : started) {
            runtime().stop(handle, Duration.ZERO);
        }
    }

    static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20));
    }

    RuntimeHandle start(String taskId, List<String> argv) throws RuntimeFailure {
        return start(new LaunchSpec(taskId, argv, Map.of(), workspace(taskId), null, null, null, null, true));
    }

    RuntimeHandle start(LaunchSpec spec) throws RuntimeFailure {
        RuntimeHandle handle = runtime().start(spec);
        started.add(handle);
        return handle;
    }

    Path workspace(String taskId) {
        return temp.resolve("workspaces").resolve(taskId);
    }

    RuntimeState awaitExit(RuntimeHandle handle) {
        return eventually().until(() -> runtime().inspect(handle), state -> state.phase() == RuntimeState.Phase.EXITED);
    }

    String log(RuntimeHandle handle) throws RuntimeFailure {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long offset = 0;
        while (true) {
            LogChunk chunk = runtime().readLog(handle, offset, 1000);
            all.writeBytes(chunk.data());
            if (chunk.data().length == 0) {
                return all.toString(StandardCharsets.UTF_8);
            }
            offset = chunk.nextOffset();
        }
    }

    static long pid(RuntimeHandle handle) {
        return Long.parseLong(handle.attributes().get(LocalRuntime.ATTR_PID));
    }

    /** Alive and not a zombie: nothing reaps orphans in some containers. */
    static boolean isRunning(long pid) {
        return ProcessTable.read(pid).map(entry -> !entry.isZombie()).orElse(false);
    }

    /** The runner and everything below it, once the agent's own `sleep` child is there. */
    static List<Long> processTreeOnceSleeping(RuntimeHandle handle, String sleepArgument) {
        long runner = pid(handle);
        eventually().until(() -> descendants(runner).stream().anyMatch(pid -> isSleep(pid, sleepArgument)));
        List<Long> tree = new ArrayList<>(descendants(runner));
        tree.add(runner);
        return tree;
    }

    static List<Long> descendants(long pid) {
        return ProcessHandle.of(pid).map(process -> process.descendants().map(ProcessHandle::pid).toList())
                .orElse(List.of());
    }

    private static boolean isSleep(long pid, String argument) {
        try {
            String commandLine = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
            return commandLine.equals("sleep\0" + argument + "\0");
        } catch (IOException e) {
            return false;
        }
    }

    // --- life of an agent ---------------------------------------------------------------------------

    @Test
    void agentRunsThenExitsWithCodeZeroAndItsOutputInTheLog() throws Exception {
        RuntimeHandle handle = start("ok", FakeAgent.command("say hello sleep=1"));

        assertThat(handle.runtime()).isEqualTo("local");
        assertThat(handle.id()).isEqualTo("parhelia-ok");
        assertThat(handle.taskId()).isEqualTo("ok");
        assertThat(handle.attributes()).containsKeys(LocalRuntime.ATTR_PID, LocalRuntime.ATTR_PID_STARTED_AT,
                LocalRuntime.ATTR_RUN_DIR, LocalRuntime.ATTR_WORKSPACE);
        assertThat(handle.attributes().get(LocalRuntime.ATTR_MODE)).isEqualTo(runtime().mode().name().toLowerCase());
        assertThat(runtime().inspect(handle).phase()).isEqualTo(RuntimeState.Phase.RUNNING);

        Instant beforeExit = Instant.now().minusSeconds(5);
        RuntimeState exited = awaitExit(handle);
        assertThat(exited.exitCode()).isZero();
        assertThat(exited.endedAt()).isAfter(beforeExit);

        String log = log(handle);
        assertThat(log).contains("\"type\":\"system\"", "\"type\":\"result\"");
        AgentOutput output = StreamJsonParser.parse(Path.of(handle.attributes().get(LocalRuntime.ATTR_RUN_DIR))
                .resolve(LocalRuntime.LOG_FILE));
        assertThat(output.resultSubtype()).isEqualTo("success");
        assertThat(output.isError()).isFalse();
        assertThat(output.totalCostUsd()).isEqualByComparingTo(new BigDecimal("0.0123"));
        assertThat(workspace("ok").resolve("fake-agent-output.txt")).hasContent("say hello sleep=1");
    }

    @Test
    void nonZeroExitCodeIsReported() throws Exception {
        RuntimeHandle handle = start("fails", FakeAgent.command("please fail exit=3"));

        assertThat(awaitExit(handle).exitCode()).isEqualTo(3);
        assertThat(log(handle)).contains("\"is_error\":true", "error_during_execution");
    }

    @Test
    void commandThatCannotBeFoundExitsWith127() throws Exception {
        RuntimeHandle handle = start("nocommand", List.of("parhelia-no-such-command-anywhere", "x"));

        assertThat(awaitExit(handle).exitCode()).isEqualTo(127);
        assertThat(log(handle)).contains("parhelia-no-such-command-anywhere");
    }

    @Test
    void hostilePromptReachesTheAgentByteForByte() throws Exception {
        String prompt = "He said \"don't\" \\ $(rm -rf victim) `rm -rf victim` ${HOME} $HOME; rm -rf victim & |\n"
                + "second line\ttab\r\n'single' \"\"\" \\\\n literal backslash-n \u00e9\u6f22\ud83d\ude00 * ? [a] ~ "
                + "write=prompt-copy.txt\n\n";
        Path workspace = workspace("hostile");
        Files.createDirectories(workspace.resolve("victim"));

        RuntimeHandle handle = start("hostile", FakeAgent.command(prompt));

        assertThat(awaitExit(handle).exitCode()).isZero();
        assertThat(Files.readString(workspace.resolve("prompt-copy.txt"), StandardCharsets.UTF_8)).isEqualTo(prompt);
        assertThat(workspace.resolve("victim")).isDirectory();
        assertThat(nulSeparated(workspace.resolve("fake-agent-argv.nul")))
                .isEqualTo(FakeAgent.command(prompt).subList(1, FakeAgent.command(prompt).size()));
        assertThat(writtenContentInLog(handle)).isEqualTo(prompt);
    }

    @Test
    void argumentOf120KilobytesPassesThroughTheArgvFile() throws Exception {
        String prompt = "write=big.txt " + "x".repeat(120 * 1024);

        RuntimeHandle handle = start("bigargv", FakeAgent.command(prompt));

        assertThat(awaitExit(handle).exitCode()).isZero();
        assertThat(Files.readString(workspace("bigargv").resolve("big.txt"))).isEqualTo(prompt);
    }

    @Test
    void promptOf200KilobytesGoesThroughStandardInput() throws Exception {
        StringBuilder prompt = new StringBuilder("write=huge.txt \"quotes\" $(x) `y`\n");
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (prompt.length() < 200 * 1024) {
            prompt.append((char) random.nextInt(0x20, 0x7f));
            if (random.nextInt(80) == 0) {
                prompt.append('\n');
            }
        }
        String text = prompt.toString();

        RuntimeHandle handle = start(new LaunchSpec("hugeprompt", FakeAgent.commandReadingStdin(), Map.of(),
                workspace("hugeprompt"), null, null, null, text, true));

        assertThat(awaitExit(handle).exitCode()).isZero();
        assertThat(Files.readString(workspace("hugeprompt").resolve("huge.txt"))).isEqualTo(text);
        assertThat(writtenContentInLog(handle)).isEqualTo(text);
    }

    @Test
    void argumentTooLongForTheKernelIsRefusedWithAdvice() {
        String prompt = "y".repeat(200 * 1024);

        assertThatThrownBy(() -> start("toolong", FakeAgent.command(prompt)))
                .isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining("standard input");
    }

    @Test
    void environmentAndTaskIdReachTheAgentAndTheEnvFileIsRemoved() throws Exception {
        Map<String, String> env = Map.of("GREETING", "hello \"world\" $HOME `x`\nline two", "EMPTY", "");
        RuntimeHandle handle = start(new LaunchSpec("envtask",
                List.of("bash", "-c", "printf '%s|%s|%s' \"$PARHELIA_TASK_ID\" \"$GREETING\" \"${EMPTY-unset}\" > env.txt"),
                env, workspace("envtask"), null, null, null, null, true));

        assertThat(awaitExit(handle).exitCode()).isZero();
        assertThat(Files.readString(workspace("envtask").resolve("env.txt")))
                .isEqualTo("envtask|hello \"world\" $HOME `x`\nline two|");
        assertThat(Path.of(handle.attributes().get(LocalRuntime.ATTR_RUN_DIR)).resolve("env")).doesNotExist();
    }

    @Test
    void invalidTaskIdIsRefused() {
        assertThatThrownBy(() -> start("../escape", List.of("true"))).isInstanceOf(RuntimeFailure.class);
        assertThatThrownBy(() -> start("has.dot", List.of("true"))).isInstanceOf(RuntimeFailure.class);
    }

    // --- cloning ------------------------------------------------------------------------------------

    @Test
    void clonesTheRepositoryAtTheBranchBeforeTheAgentStarts() throws Exception {
        Path repo = gitRepositoryWithFeatureBranch();

        RuntimeHandle handle = start(new LaunchSpec("clone", List.of("bash", "-c",
                "git rev-parse --abbrev-ref HEAD > branch.txt && ls > listing.txt"),
                Map.of(), workspace("clone"), repo.toString(), "feature", null, null, true));

        assertThat(awaitExit(handle).exitCode()).isZero();
        Path workspace = workspace("clone");
        assertThat(workspace.resolve("branch.txt")).hasContent("feature");
        assertThat(workspace.resolve("feature.txt")).hasContent("on the feature branch");
        assertThat(workspace.resolve("README.md")).exists();
    }

    @Test
    void failedCloneEndsWithGitsExitCodeAndMessageWithoutRunningTheAgent() throws Exception {
        Path missingRepo = temp.resolve("no-such-repo");

        RuntimeHandle handle = start(new LaunchSpec("badclone", FakeAgent.command("never runs"),
                Map.of(), workspace("badclone"), missingRepo.toString(), null, null, null, true));

        RuntimeState state = awaitExit(handle);
        assertThat(state.exitCode()).isNotZero();
        assertThat(log(handle)).contains("fatal:", "no-such-repo", "git clone failed with exit code " + state.exitCode());
        assertThat(workspace("badclone").resolve("fake-agent-argv.txt")).doesNotExist();
    }

    @Test
    void repositoryThatLooksLikeAnOptionIsNotTakenAsOne() throws Exception {
        RuntimeHandle handle = start(new LaunchSpec("optionrepo", List.of("true"), Map.of(),
                workspace("optionrepo"), "--upload-pack=touch pwned", null, null, null, true));

        assertThat(awaitExit(handle).exitCode()).isNotZero();
        assertThat(workspace("optionrepo").resolve("pwned")).doesNotExist();
    }

    private Path gitRepositoryWithFeatureBranch() throws Exception {
        Path repo = temp.resolve("origin");
        Files.createDirectories(repo);
        git(repo, "init", "-q", "-b", "main");
        Files.writeString(repo.resolve("README.md"), "origin\n");
        git(repo, "add", "README.md");
        git(repo, "commit", "-q", "-m", "first");
        git(repo, "checkout", "-q", "-b", "feature");
        Files.writeString(repo.resolve("feature.txt"), "on the feature branch");
        git(repo, "add", "feature.txt");
        git(repo, "commit", "-q", "-m", "feature");
        git(repo, "checkout", "-q", "main");
        return repo;
    }

    private static void git(Path directory, String... arguments) throws Exception {
        List<String> argv = new ArrayList<>(List.of("git", "-c", "user.name=Parhelia Test",
                "-c", "user.email=test@parhelia.invalid", "-c", "commit.gpgsign=false"));
        argv.addAll(List.of(arguments));
        Process git = new ProcessBuilder(argv).directory(directory.toFile()).redirectErrorStream(true).start();
        String output = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(git.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(git.exitValue()).as("git %s: %s", argv, output).isZero();
    }

    // --- stopping and losing ------------------------------------------------------------------------

    @Test
    void aRunDirectoryWhoseLaunchHasNotRecordedAnythingYetDoesNotBreakTheListing() throws Exception {
        RuntimeHandle running = start("listed", FakeAgent.command("sleep=300"));
        Files.createDirectories(runtime().runsDir().resolve("launching"));

        assertThat(runtime().listManaged()).extracting(RuntimeHandle::taskId).contains("listed");
        runtime().stop(running, Duration.ofSeconds(5));
    }

    @Test
    void aStopRightAfterStartStillRecordsHowTheAgentEnded() throws Exception {
        for (int i = 0; i < 10; i++) {
            RuntimeHandle handle = start("stop-at-once-" + i, FakeAgent.command("sleep=300"));
            runtime().stop(handle, Duration.ofSeconds(5));
            RuntimeState state = runtime().inspect(handle);
            String evidence = "attempt " + i + ": " + runDirContents(handle);
            assertThat(state.phase()).as(evidence).isEqualTo(RuntimeState.Phase.EXITED);
            assertThat(state.exitCode()).as(evidence).isNotZero();
        }
    }

    /** What a failing check should show: the files of the run and the agent's log. */
    private static String runDirContents(RuntimeHandle handle) throws IOException {
        Path runDir = Path.of(handle.attributes().get(LocalRuntime.ATTR_RUN_DIR));
        Path agentLog = runDir.resolve(LocalRuntime.LOG_FILE);
        return "files " + Arrays.toString(runDir.toFile().list()) + ", log: "
                + (Files.exists(agentLog) ? Files.readString(agentLog) : "none");
    }

    @Test
    void stopEndsTheWholeProcessGroupIncludingSpawnedChildren() throws Exception {
        RuntimeHandle handle = start("stopme", FakeAgent.command("spawn-child sleep=200"));
        List<Long> tree = processTreeOnceSleeping(handle, "300");
        assertThat(tree).hasSizeGreaterThanOrEqualTo(4);

        runtime().stop(handle, Duration.ofSeconds(5));

        assertThat(tree).noneMatch(LocalRuntimeContract::isRunning);
        assertThat(ProcessTable.liveMembers(pid(handle))).isEmpty();
        RuntimeState state = runtime().inspect(handle);
        assertThat(state.phase()).isEqualTo(RuntimeState.Phase.EXITED);
        assertThat(state.exitCode()).isEqualTo(143);
    }

    @Test
    void stopEscalatesToSigkillAfterTheGrace() throws Exception {
        RuntimeHandle handle = start("stubborn", List.of("bash", "-c", "trap '' TERM; sleep 301; sleep 301"));
        List<Long> tree = processTreeOnceSleeping(handle, "301");

        long before = System.nanoTime();
        runtime().stop(handle, Duration.ofMillis(300));
        Duration took = Duration.ofNanos(System.nanoTime() - before);

        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(10));
        assertThat(tree).noneMatch(LocalRuntimeContract::isRunning);
        assertThat(runtime().inspect(handle).phase()).isEqualTo(RuntimeState.Phase.MISSING);
    }

    @Test
    void stopIsIdempotentAndHarmlessOnAnExitedAgent() throws Exception {
        RuntimeHandle handle = start("finished", FakeAgent.command("quick"));
        awaitExit(handle);

        runtime().stop(handle, Duration.ofSeconds(1));
        runtime().stop(handle, Duration.ofSeconds(1));

        assertThat(runtime().inspect(handle)).isEqualTo(runtime().inspect(handle));
        assertThat(runtime().inspect(handle).exitCode()).isZero();
    }

    @Test
    void agentKilledFromOutsideWithoutAnExitCodeIsMissing() throws Exception {
        RuntimeHandle handle = start("murdered", FakeAgent.command("sleep=300"));
        processTreeOnceSleeping(handle, "300");

        Process kill = new ProcessBuilder("kill", "-KILL", "--", "-" + pid(handle)).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();

        eventually().until(() -> runtime().inspect(handle).phase() == RuntimeState.Phase.MISSING);
        assertThat(Path.of(handle.attributes().get(LocalRuntime.ATTR_RUN_DIR)).resolve(LocalRuntime.EXIT_CODE_FILE))
                .doesNotExist();
    }

    @Test
    void pidWithAnotherStartTimeIsNotTrustedNorSignalled() throws Exception {
        RuntimeHandle handle = start("reused", FakeAgent.command("sleep=300"));
        processTreeOnceSleeping(handle, "300");
        Map<String, String> attributes = new HashMap<>(handle.attributes());
        attributes.put(LocalRuntime.ATTR_PID_STARTED_AT,
                Instant.parse(attributes.get(LocalRuntime.ATTR_PID_STARTED_AT)).minusSeconds(3600).toString());
        RuntimeHandle stale = new RuntimeHandle(handle.runtime(), handle.id(), handle.taskId(), attributes);

        assertThat(runtime().inspect(stale).phase()).isEqualTo(RuntimeState.Phase.MISSING);
        if (runtime().mode() == LocalRuntime.Mode.SETSID) {
            runtime().stop(stale, Duration.ZERO);
            assertThat(isRunning(pid(handle))).isTrue();
        }
        assertThat(runtime().inspect(handle).phase()).isEqualTo(RuntimeState.Phase.RUNNING);
    }

    // --- finding agents again -----------------------------------------------------------------------

    @Test
    void listManagedFindsRunningAgentsAlsoFromANewRuntimeInstance() throws Exception {
        RuntimeHandle running = start("listed", FakeAgent.command("sleep=300"));
        RuntimeHandle finished = start("done", FakeAgent.command("quick"));
        awaitExit(finished);

        LocalRuntime laterServer = new LocalRuntime(temp.resolve("runs"), options());
        List<RuntimeHandle> managed = laterServer.listManaged();

        assertThat(managed).extracting(RuntimeHandle::taskId).containsExactly("listed");
        assertThat(managed.get(0)).isEqualTo(running);
        assertThat(laterServer.inspect(managed.get(0)).phase()).isEqualTo(RuntimeState.Phase.RUNNING);

        laterServer.stop(managed.get(0), Duration.ofSeconds(5));
        assertThat(laterServer.listManaged()).isEmpty();
    }

    @Test
    void listManagedIsEmptyBeforeAnythingStarted() throws Exception {
        assertThat(runtime().listManaged()).isEmpty();
    }

    @Test
    void agentRunsInItsOwnSessionAndProcessGroup() throws Exception {
        RuntimeHandle handle = start("detached", FakeAgent.command("sleep=300"));
        long runner = pid(handle);
        eventually().until(() -> Files.exists(Path.of(handle.attributes().get(LocalRuntime.ATTR_RUN_DIR), "pid")));

        ProcessTable.Entry entry = ProcessTable.read(runner).orElseThrow();
        ProcessTable.Entry jvm = ProcessTable.read(ProcessHandle.current().pid()).orElseThrow();
        assertThat(entry.processGroup()).isEqualTo(runner);
        assertThat(entry.session()).isEqualTo(runner);
        assertThat(entry.session()).isNotEqualTo(jvm.session());
        assertThat(Files.readString(Path.of(handle.attributes().get(LocalRuntime.ATTR_RUN_DIR), "pid")).strip())
                .isEqualTo(Long.toString(runner));
    }

    @Test
    void agentOutlivesTheJvmThatStartedIt() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String socket = options().tmuxSocket() == null ? "-" : options().tmuxSocket();
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                "-Dparhelia.fakeAgent=" + FakeAgent.path(), StartAgentAndExit.class.getName(),
                temp.resolve("runs").toString(), runtime().mode().name(), socket, "orphan", workspace("orphan").toString())
                .redirectErrorStream(true)
                .start();
        String childOutput = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(childOutput).isZero();

        List<RuntimeHandle> managed = runtime().listManaged();
        assertThat(managed).extracting(RuntimeHandle::taskId).containsExactly("orphan");
        started.addAll(managed);
        RuntimeHandle orphan = managed.get(0);
        assertThat(runtime().inspect(orphan).phase()).isEqualTo(RuntimeState.Phase.RUNNING);
        assertThat(isRunning(pid(orphan))).isTrue();

        runtime().stop(orphan, Duration.ofSeconds(5));
        assertThat(runtime().inspect(orphan).phase()).isNotEqualTo(RuntimeState.Phase.RUNNING);
    }

    @Test
    void startingATaskAgainSetsThePreviousRunAsideAndRefusesWhileRunning() throws Exception {
        RuntimeHandle first = start("again", FakeAgent.command("exit=4"));
        assertThat(awaitExit(first).exitCode()).isEqualTo(4);

        RuntimeHandle second = start("again", FakeAgent.command("sleep=300"));
        assertThat(runtime().inspect(second).phase()).isEqualTo(RuntimeState.Phase.RUNNING);
        try (var entries = Files.list(temp.resolve("runs"))) {
            Set<String> names = entries.map(path -> path.getFileName().toString()).collect(Collectors.toSet());
            assertThat(names).contains("again").anyMatch(name -> name.startsWith("again.replaced-"));
        }
        assertThatThrownBy(() -> start("again", FakeAgent.command("x"))).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining("already has a running agent");
    }

    // --- logs ---------------------------------------------------------------------------------------

    @Test
    void readLogPagesThroughTheLogAndClampsOffsets() throws Exception {
        RuntimeHandle handle = start("logs", FakeAgent.command("paging"));
        awaitExit(handle);
        byte[] whole = Files.readAllBytes(Path.of(handle.attributes().get(LocalRuntime.ATTR_RUN_DIR))
                .resolve(LocalRuntime.LOG_FILE));

        LogChunk first = runtime().readLog(handle, 0, 100);
        assertThat(first.data()).hasSize(100);
        assertThat(first.offset()).isZero();
        assertThat(first.nextOffset()).isEqualTo(100);
        assertThat(first.size()).isEqualTo(whole.length);
        assertThat(log(handle).getBytes(StandardCharsets.UTF_8)).isEqualTo(whole);

        LogChunk beyond = runtime().readLog(handle, whole.length + 1000L, 100);
        assertThat(beyond.data()).isEmpty();
        assertThat(beyond.offset()).isEqualTo(whole.length);
        assertThat(beyond.nextOffset()).isEqualTo(whole.length);
    }

    @Test
    void readLogOfAnAgentWithoutLogIsEmpty() throws Exception {
        RuntimeHandle nowhere = new RuntimeHandle("local", "parhelia-ghost", "ghost",
                Map.of(LocalRuntime.ATTR_RUN_DIR, temp.resolve("nothing-here").toString()));

        LogChunk chunk = runtime().readLog(nowhere, 10, 100);

        assertThat(chunk.data()).isEmpty();
        assertThat(chunk.size()).isZero();
        assertThat(runtime().inspect(nowhere).phase()).isEqualTo(RuntimeState.Phase.MISSING);
    }

    // --- helpers ------------------------------------------------------------------------------------

    private static List<String> nulSeparated(Path file) throws IOException {
        String content = Files.readString(file, StandardCharsets.UTF_8);
        List<String> elements = new ArrayList<>(List.of(content.split("\0", -1)));
        elements.remove(elements.size() - 1);
        return elements;
    }

    /** The content of the Write tool call the fake agent logged: proves its JSON escaping is exact. */
    private String writtenContentInLog(RuntimeHandle handle) throws Exception {
        ObjectMapper json = new ObjectMapper();
        for (String line : log(handle).split("\n")) {
            if (line.contains("\"tool_use\"")) {
                JsonNode event = json.readTree(line);
                return event.path("message").path("content").get(0).path("input").path("content").textValue();
            }
        }
        throw new AssertionError("no tool_use line in the log");
    }
}
