package io.parhelia.cli;

import io.parhelia.engine.config.ConfigException;
import io.parhelia.engine.config.ConfigLoader;
import io.parhelia.engine.config.ParheliaConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code parhelia} command. */
@Command(name = "parhelia", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Runs coding-agent tasks in isolated workspaces and drives them over MCP.",
        subcommands = {McpServerCommand.class, McpProxyCommand.class, TokenCommand.class, AuditCommand.class, DoctorCommand.class})
public final class Main {

    @Option(names = "--home", paramLabel = "DIR",
            description = "The Parhelia home (default: $PARHELIA_HOME, else ~/.parhelia).")
    Path home;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a configuration key, e.g. --set reconciler.interval_seconds=5 (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    ParheliaConfig config() {
        return new ConfigLoader().load(home, System.getenv(), overrides);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    if (e instanceof ConfigException) {
                        cmd.getErr().println("parhelia: configuration error: " + e.getMessage());
                        return 2;
                    }
                    throw e;
                });
    }

    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("/parhelia-version.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException | NullPointerException e) {
            return "unknown";
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"parhelia " + version() + " (Java " + Runtime.version() + ")"};
        }
    }
}
