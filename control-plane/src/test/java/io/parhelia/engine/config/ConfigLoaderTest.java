package io.parhelia.engine.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {

    @TempDir
    Path home;

    private final ConfigLoader loader = new ConfigLoader();

    private ParheliaConfig load(Map<String, String> env, Map<String, String> overrides) {
        return loader.load(home, env, overrides);
    }

    private void configFile(String toml) throws IOException {
        Files.writeString(home.resolve("config.toml"), toml);
    }

    // --- layers -------------------------------------------------------------------------------------

    @Test
    void builtInDefaultsLoadWhenTheHomeHasNoConfigFile() {
        ParheliaConfig config = load(Map.of(), Map.of());

        assertThat(config.home()).isEqualTo(home.toAbsolutePath().normalize());
        assertThat(config.agent().command()).containsExactly("claude", "-p", "{prompt}", "--output-format",
                "stream-json", "--verbose", "--max-turns", "{max_turns}");
        assertThat(config.agent().resumeArgs()).containsExactly("--resume", "{agent_session_id}");
        assertThat(config.agent().maxTurns()).isEqualTo(30);
        assertThat(config.tasks().defaultRuntime()).isEqualTo("local");
        assertThat(config.tasks().defaultTimeoutSeconds()).isEqualTo(14_400);
        assertThat(config.tasks().defaultCpu()).isEqualTo(1.0);
        assertThat(config.tasks().defaultMemoryGb()).isEqualTo(4.0);
        assertThat(config.tasks().stopGraceSeconds()).isEqualTo(10);
        assertThat(config.reconciler().intervalSeconds()).isEqualTo(3);
        assertThat(config.reconciler().lostGraceSeconds()).isEqualTo(30);
        assertThat(config.runtime().local().mode()).isEqualTo("auto");
        assertThat(config.runtime().local().tmuxSocket()).isEmpty();
    }

    @Test
    void configFileInTheHomeOverridesTheDefaultsAndLeavesTheRest() throws IOException {
        configFile("""
                [agent]
                command = ["my-agent", "{prompt}"]
                max_turns = 7

                [runtime.local]
                tmux_socket = "agents"
                """);

        ParheliaConfig config = load(Map.of(), Map.of());

        assertThat(config.agent().command()).containsExactly("my-agent", "{prompt}");
        assertThat(config.agent().maxTurns()).isEqualTo(7);
        assertThat(config.agent().resumeArgs()).containsExactly("--resume", "{agent_session_id}");
        assertThat(config.runtime().local().tmuxSocket()).isEqualTo("agents");
        assertThat(config.runtime().local().mode()).isEqualTo("auto");
        assertThat(config.reconciler().intervalSeconds()).isEqualTo(3);
    }

    @Test
    void environmentOverridesTheConfigFile() throws IOException {
        configFile("""
                [reconciler]
                interval_seconds = 20
                lost_grace_seconds = 40
                """);

        ParheliaConfig config = load(Map.of("PARHELIA_RECONCILER_INTERVAL_SECONDS", "5",
                "PARHELIA_RUNTIME_LOCAL_MODE", "setsid"), Map.of());

        assertThat(config.reconciler().intervalSeconds()).isEqualTo(5);
        assertThat(config.reconciler().lostGraceSeconds()).isEqualTo(40);
        assertThat(config.runtime().local().mode()).isEqualTo("setsid");
    }

    @Test
    void setOverridesTheEnvironment() throws IOException {
        configFile("""
                [tasks]
                stop_grace_seconds = 2
                """);

        ParheliaConfig config = load(Map.of("PARHELIA_TASKS_STOP_GRACE_SECONDS", "4"),
                Map.of("tasks.stop_grace_seconds", "6"));

        assertThat(config.tasks().stopGraceSeconds()).isEqualTo(6);
    }

    @Test
    void environmentVariablesWithoutThePrefixOrForOtherThingsAreIgnored() {
        ParheliaConfig config = load(Map.of("RECONCILER_INTERVAL_SECONDS", "9", "PARHELIA_LOG_LEVEL", "debug",
                "PARHELIA_CDS", "off"), Map.of());

        assertThat(config.reconciler().intervalSeconds()).isEqualTo(3);
    }

    // --- typed conversion ---------------------------------------------------------------------------

    @Test
    void stringsFromEnvironmentAndSetAreConvertedToTheTypeOfTheKey() {
        ParheliaConfig config = load(Map.of(
                        "PARHELIA_AGENT_MAX_TURNS", " 12 ",
                        "PARHELIA_TASKS_DEFAULT_CPU", "2.5",
                        "PARHELIA_AGENT_COMMAND", "[\"agent\", \"--flag=a b\", \"{prompt}\"]"),
                Map.of("tasks.default_memory_gb", "3",
                        "tasks.default_timeout_seconds", "600",
                        "agent.resume_args", "[]"));

        assertThat(config.agent().maxTurns()).isEqualTo(12);
        assertThat(config.tasks().defaultCpu()).isEqualTo(2.5);
        assertThat(config.tasks().defaultMemoryGb()).isEqualTo(3.0);
        assertThat(config.tasks().defaultTimeoutSeconds()).isEqualTo(600);
        assertThat(config.agent().command()).containsExactly("agent", "--flag=a b", "{prompt}");
        assertThat(config.agent().resumeArgs()).isEmpty();
    }

    @Test
    void aStringKeyTakesTheValueVerbatimEvenWhenItLooksLikeJsonOrANumber() {
        ParheliaConfig config = load(Map.of("PARHELIA_RUNTIME_LOCAL_TMUX_SOCKET", "42"),
                Map.of("tasks.default_runtime", "[\"x\"]"));

        assertThat(config.runtime().local().tmuxSocket()).isEqualTo("42");
        assertThat(config.tasks().defaultRuntime()).isEqualTo("[\"x\"]");
    }

    @Test
    void aWholeNumberKeyRefusesAFractionOrWordAndNamesTheSource() {
        assertThatThrownBy(() -> load(Map.of("PARHELIA_AGENT_MAX_TURNS", "2.5"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PARHELIA_AGENT_MAX_TURNS")
                .hasMessageContaining("whole number");
        assertThatThrownBy(() -> load(Map.of(), Map.of("reconciler.interval_seconds", "often")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("reconciler.interval_seconds")
                .hasMessageContaining("whole number");
    }

    @Test
    void anOutOfRangeValueIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> load(Map.of(), Map.of("runtime.kubernetes.keep_ended_pods_hours", "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("runtime.kubernetes").hasMessageContaining("keep_ended_pods_hours must be at least 1, got 0");
    }

    @Test
    void aNumberKeyRefusesAWord() {
        assertThatThrownBy(() -> load(Map.of(), Map.of("tasks.default_cpu", "lots")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tasks.default_cpu")
                .hasMessageContaining("a number");
    }

    @Test
    void aConfigFileValueOfTheWrongTypeIsRefusedNamingTheKeyAndWhatItMustBe() throws IOException {
        configFile("[agent]\nmax_turns = \"7\"\n");
        assertThatThrownBy(() -> load(Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.max_turns")
                .hasMessageContaining("a whole number");
        configFile("[agent]\ncommand = \"claude -p {prompt}\"\n");
        assertThatThrownBy(() -> load(Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.command")
                .hasMessageContaining("a list");
        configFile("[tasks]\ndefault_cpu = 2\n");
        assertThat(load(Map.of(), Map.of()).tasks().defaultCpu()).as("a whole number is a number").isEqualTo(2.0);
    }

    @Test
    void aListKeyRefusesSomethingThatIsNotAJsonArray() {
        assertThatThrownBy(() -> load(Map.of("PARHELIA_AGENT_COMMAND", "claude -p {prompt}"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PARHELIA_AGENT_COMMAND")
                .hasMessageContaining("JSON array");
        assertThatThrownBy(() -> load(Map.of(), Map.of("agent.command", "{\"a\": 1}")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.command")
                .hasMessageContaining("JSON array");
    }

    @Test
    void aValueOfTheWrongTypeInTheConfigFileNamesTheKey() throws IOException {
        configFile("""
                [reconciler]
                interval_seconds = "often"
                """);

        assertThatThrownBy(() -> load(Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("reconciler.interval_seconds");
    }

    @Test
    void aFractionForAWholeNumberKeyInTheConfigFileIsRefusedNotTruncated() throws IOException {
        configFile("""
                [tasks]
                default_timeout_seconds = 0.5
                """);

        assertThatThrownBy(() -> load(Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tasks.default_timeout_seconds");
    }

    @Test
    void aListElementOfTheWrongTypeNamesTheKey() {
        assertThatThrownBy(() -> load(Map.of(), Map.of("agent.command", "[\"claude\", [\"nested\"]]")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.command");
    }

    @Test
    void aNumberTooLargeForTheKeyNamesTheKey() {
        assertThatThrownBy(() -> load(Map.of(), Map.of("agent.max_turns", "99999999999")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.max_turns");
    }

    // --- unknown keys and shape mismatches ----------------------------------------------------------

    @Test
    void unknownKeyInTheConfigFileIsNamedWithItsFile() throws IOException {
        configFile("""
                [reconciler]
                interval_secs = 5
                """);

        assertThatThrownBy(() -> load(Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'reconciler.interval_secs'")
                .hasMessageContaining(home.resolve("config.toml").toString())
                .hasMessageContaining("reconciler.interval_seconds");
    }

    @Test
    void unknownTableInTheConfigFileIsNamed() throws IOException {
        configFile("""
                [runtime.firecracker]
                socket = "x"
                """);

        assertThatThrownBy(() -> load(Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'runtime.firecracker'");
    }

    @Test
    void unknownKeyInSetIsNamed() {
        assertThatThrownBy(() -> load(Map.of(), Map.of("reconciler.intervall_seconds", "5")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'reconciler.intervall_seconds'")
                .hasMessageContaining("--set");
    }

    @Test
    void aTableIsNotAKeyForSet() {
        assertThatThrownBy(() -> load(Map.of(), Map.of("runtime.local", "tmux")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'runtime.local'");
    }

    @Test
    void aValueWhereATableBelongsNamesTheKey() throws IOException {
        configFile("""
                agent = "claude"
                """);

        assertThatThrownBy(() -> load(Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'agent'")
                .hasMessageContaining("must be a table");
    }

    @Test
    void aTableWhereAValueBelongsNamesTheKey() throws IOException {
        configFile("""
                [agent.command]
                program = "claude"
                """);

        assertThatThrownBy(() -> load(Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'agent.command'")
                .hasMessageContaining("not a table");
    }

    @Test
    void aNestedValueWhereATableBelongsNamesTheDottedKey() throws IOException {
        configFile("""
                [runtime]
                local = "tmux"
                """);

        assertThatThrownBy(() -> load(Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'runtime.local'")
                .hasMessageContaining("must be a table");
    }

    @Test
    void aConfigFileThatIsNotTomlIsRefusedWithItsPath() throws IOException {
        configFile("[agent\nmax_turns = = 3\n");

        assertThatThrownBy(() -> load(Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(home.resolve("config.toml").toString());
    }

    // --- the home -----------------------------------------------------------------------------------

    @Test
    void homeComesFromTheFlagBeforeTheEnvironment(@TempDir Path other) throws IOException {
        Files.writeString(other.resolve("config.toml"), "[agent]\nmax_turns = 99\n");
        configFile("[agent]\nmax_turns = 5\n");

        ParheliaConfig config = loader.load(home, Map.of("PARHELIA_HOME", other.toString()), Map.of());

        assertThat(config.home()).isEqualTo(home.toAbsolutePath().normalize());
        assertThat(config.agent().maxTurns()).isEqualTo(5);
    }

    @Test
    void homeComesFromParheliaHomeWhenThereIsNoFlagAndItsConfigFileIsRead() throws IOException {
        configFile("[agent]\nmax_turns = 5\n");

        ParheliaConfig config = loader.load(null, Map.of("PARHELIA_HOME", home + "/./sub/.."), Map.of());

        assertThat(config.home()).isEqualTo(home.normalize());
        assertThat(config.agent().maxTurns()).isEqualTo(5);
    }

    @Test
    void relativeParheliaHomeIsRefused() {
        assertThatThrownBy(() -> loader.load(null, Map.of("PARHELIA_HOME", "relative/home"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PARHELIA_HOME")
                .hasMessageContaining("absolute")
                .hasMessageContaining("relative/home");
        assertThatThrownBy(() -> loader.load(null, Map.of("PARHELIA_HOME", "."), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PARHELIA_HOME");
    }

    @Test
    void withoutFlagOrParheliaHomeTheHomeIsUnderTheUsersHomeNeverTheCurrentDirectory() {
        Path expected = Path.of(System.getProperty("user.home"), ".parhelia");

        assertThat(ConfigLoader.resolveHome(null, Map.of())).isEqualTo(expected);
        assertThat(ConfigLoader.resolveHome(null, Map.of("PARHELIA_HOME", "  "))).isEqualTo(expected);
        assertThat(expected).isAbsolute();
        assertThat(expected).isNotEqualTo(Path.of("").toAbsolutePath().resolve(".parhelia"));
    }

    @Test
    void theResolvedConfigListsAreImmutable() {
        ParheliaConfig config = load(Map.of(), Map.of());

        assertThatThrownBy(() -> config.agent().command().add("x")).isInstanceOf(UnsupportedOperationException.class);
    }
}
