package io.parhelia.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Benchmarks the built distribution as a user's MCP client meets it:
 * <ol>
 *   <li>stdio cold start: process spawn to the {@code initialize} reply on stdout, per JVM and
 *       class-data-sharing setup;</li>
 *   <li>dispatch latency on the local (tmux) runtime, or with {@code --runtime podman} in a Podman
 *       container: {@code tools/call parhelia_task_create} to its reply, and to the agent process
 *       actually running (the agent stamps the wall clock as its first action).</li>
 * </ol>
 * Every process, wait and task is bounded in time; nothing leaves loopback. See bench/run.sh.
 */
public final class BenchMain {

    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(20);
    /** An exit that writes the AppCDS or AOT archive takes longer. */
    private static final Duration TRAINING_EXIT_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration AGENT_START_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration TASK_END_TIMEOUT = Duration.ofSeconds(30);
    private static final String STAMP_FILE = "bench-agent-started";
    /** The launcher's own JVM options (dist/src/main/dist/bin/parhelia, less its log routing), for the JVM-floor row. */
    private static final List<String> LAUNCHER_JVM_OPTS = List.of(
            "-XX:+UseSerialGC", "-Xss512k", "-XX:TieredStopAtLevel=1", "-Xlog:disable");

    // ---- options ----
    private Path dist;
    private Path agentScript;
    private Path fakeAgent;
    private Path jdk17 = Path.of(System.getProperty("java.home"));
    private Path temurin;
    private int runs = 10;
    private int tasks = 20;
    private int warmupTasks = 3;
    private boolean variants = true;
    private boolean coldStart = true;
    private boolean dispatch = true;
    private String tmuxSocket = "parhelia-bench";
    /** Where dispatch tasks run: local, or podman (then in podmanImage, whose `claude` is the fake agent). */
    private String runtime = "local";
    private String podmanImage;
    private Path work;
    private boolean keep;

    /** Extra JVM options to try, each as one more "JDK 17, AppCDS" case (PARHELIA_JAVA_OPTS). */
    private final List<String> extraVariants = new ArrayList<>();
    private int quietWaitSeconds = 30;
    /** All waiting for quiet, over the whole run, stays within this. */
    private int quietBudgetSeconds = 300;

    private int homeCounter;
    private final List<Double> busySamples = new ArrayList<>();
    private final List<Row> coldRows = new ArrayList<>();
    private final List<Row> dispatchRows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> raw = new ArrayList<>();

    private BenchMain() {
    }

    /** One table row: a label, a sample, and optional extra cells. */
    private record Row(String label, Stats stats, Map<String, String> extra, String note) {
    }

    public static void main(String[] args) throws Exception {
        BenchMain bench = new BenchMain();
        bench.parse(args);
        int status = bench.run();
        System.exit(status);
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--dist" -> { dist = Path.of(need(a, v)); i++; }
                case "--agent-script" -> { agentScript = Path.of(need(a, v)); i++; }
                case "--fake-agent" -> { fakeAgent = Path.of(need(a, v)); i++; }
                case "--jdk17" -> { jdk17 = Path.of(need(a, v)); i++; }
                case "--temurin" -> { String t = need(a, v); temurin = t.isEmpty() || t.equals("none") ? null : Path.of(t); i++; }
                case "--runs" -> { runs = Integer.parseInt(need(a, v)); i++; }
                case "--tasks" -> { tasks = Integer.parseInt(need(a, v)); i++; }
                case "--warmup-tasks" -> { warmupTasks = Integer.parseInt(need(a, v)); i++; }
                case "--tmux-socket" -> { tmuxSocket = need(a, v); i++; }
                case "--runtime" -> { runtime = need(a, v); i++; }
                case "--podman-image" -> { podmanImage = need(a, v); i++; }
                case "--work" -> { work = Path.of(need(a, v)); i++; }
                case "--no-variants" -> variants = false;
                case "--variant" -> { extraVariants.add(need(a, v)); i++; }
                case "--quiet-wait-seconds" -> { quietWaitSeconds = Integer.parseInt(need(a, v)); i++; }
                case "--only" -> {
                    String which = need(a, v);
                    i++;
                    coldStart = which.equals("cold-start");
                    dispatch = which.equals("dispatch");
                    if (!coldStart && !dispatch) {
                        throw new IllegalArgumentException("--only takes cold-start or dispatch");
                    }
                }
                case "--keep" -> keep = true;
                case "--help", "-h" -> {
                    System.out.println(usage());
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown argument " + a + "\n" + usage());
            }
        }
        if (dist == null || agentScript == null || fakeAgent == null) {
            throw new IllegalArgumentException("--dist, --agent-script and --fake-agent are required\n" + usage());
        }
        if (runs < 1 || tasks < 1 || warmupTasks < 0) {
            throw new IllegalArgumentException("--runs and --tasks must be positive, --warmup-tasks not negative");
        }
    }

    private static String need(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    private static String usage() {
        return "usage: BenchMain --dist DIST_DIR --agent-script bench/bench-agent --fake-agent testing/fake-claude\n"
                + "       [--jdk17 JAVA_HOME] [--temurin JAVA_HOME|none] [--runs 10] [--tasks 20] [--warmup-tasks 3]\n"
                + "       [--no-variants] [--only cold-start|dispatch] [--tmux-socket NAME] [--work DIR] [--keep]\n"
                + "       [--quiet-wait-seconds 30] [--variant 'JVM OPTIONS' (repeatable: one more JDK 17 + AppCDS case)]";
    }

    private Path launcher() {
        return dist.resolve("bin").resolve("parhelia");
    }

    private int run() throws Exception {
        dist = dist.toAbsolutePath().normalize();
        agentScript = agentScript.toAbsolutePath().normalize();
        fakeAgent = fakeAgent.toAbsolutePath().normalize();
        for (Path p : List.of(launcher(), agentScript, fakeAgent, jdk17.resolve("bin/java"))) {
            if (!Files.isExecutable(p)) {
                throw new IllegalArgumentException("not executable: " + p);
            }
        }
        if (temurin != null && !Files.isExecutable(temurin.resolve("bin/java"))) {
            System.err.println("bench: no Java at " + temurin + "; skipping the Temurin cases");
            temurin = null;
        }
        boolean ownWork = work == null;
        work = ownWork ? Files.createTempDirectory("parhelia-bench-") : Files.createDirectories(work);
        // A private copy of the distribution: a rebuild by someone else mid-run would change the jars,
        // and with them the AppCDS archive's key.
        Path source = dist;
        dist = work.resolve("dist");
        copyTree(source, dist);
        notes.add("distribution: copy of " + source);
        Thread cleanup = new Thread(this::killTmux, "bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        int status = 0;
        try {
            printEnvironment();
            if (coldStart) {
                coldStartSuite();
            }
            if (dispatch) {
                dispatchSuite();
            }
        } catch (Exception e) {
            System.err.println("bench: FAILED: " + e);
            e.printStackTrace();
            status = 1;
        } finally {
            killTmux();
            printReport();
            if (ownWork && !keep && status == 0) {
                deleteTree(work);
            } else {
                System.out.println("work directory kept: " + work);
            }
        }
        return status;
    }

    // ================================================================================================
    // 1. stdio cold start
    // ================================================================================================

    /** A cold-start case: which Java, AppCDS on or off, extra JVM options, and the AppCDS cache to seed each home with. */
    private record Series(String label, Path javaHome, boolean cds, String javaOpts, Path cdsCache) {
    }

    private void coldStartSuite() throws Exception {
        log("== stdio cold start: spawn -> initialize reply, " + runs + " runs per case, interleaved ==");
        floorRows(jdk17, "JDK 17");
        if (temurin != null) {
            floorRows(temurin, "Temurin " + javaFeature(temurin));
        }

        List<Series> series = new ArrayList<>();
        series.add(new Series("JDK 17, no CDS (PARHELIA_CDS=off)", jdk17, false, "", null));
        Path cds17 = trainAppCds(jdk17, "JDK 17");
        verifyArchiveUsed(jdk17, cds17, "JDK 17");
        series.add(new Series("JDK 17, AppCDS", jdk17, true, "", cds17));
        if (variants) {
            series.add(new Series("JDK 17, AppCDS, +C2 (-XX:TieredStopAtLevel=4)", jdk17, true, "-XX:TieredStopAtLevel=4", cds17));
            series.add(new Series("JDK 17, AppCDS, G1 (-XX:-UseSerialGC -XX:+UseG1GC)", jdk17, true, "-XX:-UseSerialGC -XX:+UseG1GC", cds17));
            series.add(new Series("JDK 17, no CDS, +C2 (-XX:TieredStopAtLevel=4)", jdk17, false, "-XX:TieredStopAtLevel=4", null));
            series.add(new Series("JDK 17, no CDS, G1 (-XX:-UseSerialGC -XX:+UseG1GC)", jdk17, false, "-XX:-UseSerialGC -XX:+UseG1GC", null));
        }
        for (String opts : extraVariants) {
            series.add(new Series("JDK 17, AppCDS, " + opts, jdk17, true, opts, cds17));
        }
        if (temurin != null) {
            String name = "Temurin " + javaFeature(temurin);
            series.add(new Series(name + ", no CDS (PARHELIA_CDS=off)", temurin, false, "", null));
            Path cds25 = trainAppCds(temurin, name);
            verifyArchiveUsed(temurin, cds25, name);
            series.add(new Series(name + ", AppCDS", temurin, true, "", cds25));
            if (variants && javaFeature(temurin) >= 25) {
                Path aot = trainAotCache(temurin, name);
                if (aot != null) {
                    series.add(new Series(name + ", AOT cache (-XX:AOTCache; PARHELIA_CDS=off)", temurin, false,
                            "-XX:AOTCache=" + aot, null));
                }
            }
        }

        // Per case: an untimed warm-up run, and an untimed probe run that logs class loading.
        List<String> classes = new ArrayList<>();
        for (Series s : series) {
            log("-- warm-up and class-load probe: " + s.label());
            coldRun(s, s.javaOpts());
            Path classLog = work.resolve("classload-" + (++homeCounter) + ".log");
            coldRun(s, (s.javaOpts() + " -Xlog:class+load=info:file=" + classLog).strip());
            classes.add(classLoadSummary(classLog));
        }

        // Timed runs, round-robin over the cases, so that load from elsewhere on the machine spreads evenly.
        List<List<ColdRun>> results = new ArrayList<>();
        series.forEach(s -> results.add(new ArrayList<>()));
        for (int round = 0; round < runs; round++) {
            awaitQuiet();
            for (int k = 0; k < series.size(); k++) {
                results.get(k).add(coldRun(series.get(k), series.get(k).javaOpts()));
            }
            log("   round " + (round + 1) + "/" + runs + " done");
        }

        for (int k = 0; k < series.size(); k++) {
            Stats reply = new Stats();
            Stats serving = new Stats();
            Stats store = new Stats();
            Stats exit = new Stats();
            for (ColdRun r : results.get(k)) {
                reply.addNanos(r.replyNanos());
                exit.addNanos(r.exitNanos());
                if (r.servingNanos() != null) {
                    serving.addNanos(r.servingNanos());
                }
                if (r.storeNanos() != null) {
                    store.addNanos(r.storeNanos());
                }
            }
            Map<String, String> extra = new LinkedHashMap<>();
            extra.put("store ready", store.count() == 0 ? "-" : Stats.fmt(store.median()));
            extra.put("serving", serving.count() == 0 ? "-" : Stats.fmt(serving.median()));
            extra.put("exit", Stats.fmt(exit.median()));
            String label = series.get(k).label();
            coldRows.add(new Row(label, reply, extra, classes.get(k)));
            raw.add(label + ": " + reply.raw());
        }
    }

    /**
     * Proves that the launcher uses the archive: one run with the launcher's own CDS logging turned up
     * (-Xlog:cds=info) must report the dynamic archive as mapped. Not timed.
     */
    private void verifyArchiveUsed(Path javaHome, Path cdsCache, String jdkName) throws Exception {
        Path cdsLog = work.resolve("cds-" + (++homeCounter) + ".log");
        coldRun(new Series("verify", javaHome, true, "", cdsCache), "-Xlog:cds=info:file=" + cdsLog);
        List<String> lines = Files.readAllLines(cdsLog, StandardCharsets.UTF_8);
        String archive = listFiles(cdsCache, ".jsa").get(0).getFileName().toString();
        boolean opened = lines.stream().anyMatch(l -> l.contains("Opened") && l.contains(archive));
        boolean mapped = lines.stream().anyMatch(l -> l.contains("Mapped dynamic region"));
        String verdict = opened && mapped ? "used: -Xlog:cds=info shows it opened and its dynamic regions mapped"
                : "NOT confirmed as used, see " + cdsLog;
        notes.add(jdkName + " AppCDS archive " + verdict);
        log("   " + jdkName + " AppCDS archive " + verdict);
    }

    /**
     * Waits (at most quietWaitSeconds) until the machine's CPUs are mostly idle, so that a build
     * someone else runs does not land inside a round; records how busy it was.
     */
    private void awaitQuiet() throws Exception {
        long started = System.nanoTime();
        long deadline = started + TimeUnit.SECONDS.toNanos(Math.min(quietWaitSeconds, quietBudgetSeconds));
        double busy;
        while ((busy = cpuBusyPercent()) > 35 && System.nanoTime() < deadline) {
            Thread.sleep(1000);
        }
        quietBudgetSeconds -= (int) TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        busySamples.add(busy);
    }

    /** Percentage of all CPUs' time not idle over a 300 ms window (this process is idle meanwhile). */
    private static double cpuBusyPercent() throws Exception {
        long[] a = cpuTicks();
        Thread.sleep(300);
        long[] b = cpuTicks();
        long total = b[0] - a[0];
        return total <= 0 ? 0 : 100.0 * (total - (b[1] - a[1])) / total;
    }

    /** {total, idle + iowait} jiffies from /proc/stat; zeros where there is none. */
    private static long[] cpuTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /** The floor under any Java start: a do-nothing main with the launcher's flags, and `parhelia --version`. */
    private void floorRows(Path javaHome, String jdkName) throws Exception {
        Path noopClasses = codeLocation();
        List<String> noop = new ArrayList<>();
        noop.add(javaHome.resolve("bin/java").toString());
        noop.addAll(LAUNCHER_JVM_OPTS);
        noop.addAll(List.of("-cp", noopClasses.toString(), Noop.class.getName()));
        Stats floor = new Stats();
        Stats version = new Stats();
        for (int i = 0; i <= runs; i++) {
            long jvm = spawnToExit(noop, baseEnv(javaHome, freshHome()));
            long cli = spawnToExit(List.of(launcher().toString(), "--version"), baseEnv(javaHome, freshHome()));
            if (i > 0) { // the first of each is an untimed warm-up
                floor.addNanos(jvm);
                version.addNanos(cli);
            }
        }
        coldRows.add(new Row(jdkName + " floor: empty main, launcher's JVM flags (spawn -> exit)", floor, Map.of(), ""));
        coldRows.add(new Row(jdkName + " floor: `parhelia --version`, no CDS (spawn -> exit)", version, Map.of(), ""));
        raw.add(jdkName + " empty main: " + floor.raw());
        raw.add(jdkName + " --version: " + version.raw());
    }

    private long spawnToExit(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder b = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).directory(work.toFile());
        b.environment().clear();
        b.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = b.start();
        if (!p.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new TimeoutException(command + " did not exit within " + EXIT_TIMEOUT);
        }
        long t = System.nanoTime() - t0;
        if (p.exitValue() != 0) {
            throw new IOException(command + " exited with " + p.exitValue());
        }
        return t;
    }

    private static Path codeLocation() throws URISyntaxException {
        return Path.of(BenchMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private record ColdRun(long replyNanos, Long servingNanos, Long storeNanos, long exitNanos) {
    }

    /** One run in a fresh home (seeded with the series' AppCDS archive, if any). */
    private ColdRun coldRun(Series series, String javaOpts) throws Exception {
        Path home = freshHome();
        if (series.cdsCache() != null) {
            copyDir(series.cdsCache(), home.resolve("cache").resolve("cds"));
        }
        Map<String, String> env = serverEnv(series.javaHome(), home, series.cds(), javaOpts);
        try (ServerProcess server = ServerProcess.start(List.of(launcher().toString(), "mcp-server"), env, home,
                home.resolve("server.stderr"))) {
            server.send(ServerProcess.initialize(1));
            ServerProcess.Line reply = server.awaitResponse(1, REPLY_TIMEOUT);
            long replyNanos = reply.nanos() - server.spawnNanos;
            server.send(ServerProcess.initialized());
            long exitNanos = server.closeAndAwaitExit(EXIT_TIMEOUT);
            Long serving = server.marks.containsKey("serving") ? server.marks.get("serving") - server.spawnNanos : null;
            Long store = server.marks.containsKey("store migrated") ? server.marks.get("store migrated") - server.spawnNanos : null;
            if (server.process.exitValue() != 0) {
                throw new IOException("the server exited with " + server.process.exitValue() + "; see " + home.resolve("server.stderr"));
            }
            return new ColdRun(replyNanos, serving, store, exitNanos);
        }
    }

    /**
     * The launcher's first `mcp-server` run in a home writes the AppCDS archive at exit. This untimed
     * run does what a client's first session does (initialize, tools/list), then checks the archive.
     */
    private Path trainAppCds(Path javaHome, String jdkName) throws Exception {
        log("-- " + jdkName + ": untimed AppCDS training run");
        Path home = freshHome();
        Map<String, String> env = serverEnv(javaHome, home, true, "");
        long t0 = System.nanoTime();
        training(env, home);
        Path cacheDir = home.resolve("cache").resolve("cds");
        List<Path> archives = listFiles(cacheDir, ".jsa");
        if (archives.size() != 1) {
            throw new IOException("expected one AppCDS archive in " + cacheDir + " after the training run, found " + archives);
        }
        String line = String.format(Locale.ROOT, "%s AppCDS training run: %.2f s spawn -> exit; archive %s (%.1f MB)",
                jdkName, (System.nanoTime() - t0) / 1e9, archives.get(0).getFileName(), Files.size(archives.get(0)) / 1e6);
        notes.add(line);
        log("   " + line);
        return cacheDir;
    }

    /** JDK 24+ AOT cache (JEP 483, one-step training JEP 514): a variant passed through PARHELIA_JAVA_OPTS. */
    private Path trainAotCache(Path javaHome, String jdkName) throws Exception {
        log("-- " + jdkName + ": untimed AOT cache training run (-XX:AOTCacheOutput)");
        Path aot = work.resolve("parhelia-" + (++homeCounter) + ".aot");
        Path home = freshHome();
        long t0 = System.nanoTime();
        try {
            training(serverEnv(javaHome, home, false, "-XX:AOTCacheOutput=" + aot), home);
        } catch (IOException | TimeoutException e) {
            notes.add(jdkName + " AOT cache: training failed (" + e.getMessage() + "); variant skipped");
            return null;
        }
        if (!Files.isRegularFile(aot)) {
            notes.add(jdkName + " AOT cache: training wrote no cache (see " + home.resolve("server.stderr") + "); variant skipped");
            return null;
        }
        String line = String.format(Locale.ROOT, "%s AOT cache training run: %.2f s spawn -> exit; cache %.1f MB",
                jdkName, (System.nanoTime() - t0) / 1e9, Files.size(aot) / 1e6);
        notes.add(line);
        log("   " + line);
        return aot;
    }

    private void training(Map<String, String> env, Path home) throws Exception {
        try (ServerProcess server = ServerProcess.start(List.of(launcher().toString(), "mcp-server"), env, home,
                home.resolve("server.stderr"))) {
            server.send(ServerProcess.initialize(1));
            server.awaitResponse(1, REPLY_TIMEOUT);
            server.send(ServerProcess.initialized());
            server.send(ServerProcess.toolsList(2));
            server.awaitResponse(2, REPLY_TIMEOUT);
            server.closeAndAwaitExit(TRAINING_EXIT_TIMEOUT);
            if (server.process.exitValue() != 0) {
                throw new IOException("training run exited with " + server.process.exitValue());
            }
        }
    }

    /** Counts class-load log lines by source: JDK's base CDS archive, a dynamic/AOT archive ("top"), or jars. */
    private static String classLoadSummary(Path classLog) throws IOException {
        if (!Files.isRegularFile(classLog)) {
            return "class-load log missing";
        }
        long total = 0;
        long shared = 0;
        long top = 0;
        try (Stream<String> lines = Files.lines(classLog, StandardCharsets.UTF_8)) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (!line.contains(" source: ")) {
                    continue;
                }
                total++;
                if (line.contains("shared objects file")) {
                    shared++;
                    if (line.contains("(top)")) {
                        top++;
                    }
                }
            }
        }
        return String.format(Locale.ROOT, "%d classes: %d from CDS archives (%d of them from the dynamic AppCDS one), %d parsed from jars",
                total, shared, top, total - shared);
    }

    // ================================================================================================
    // 2. dispatch latency
    // ================================================================================================

    private record Dispatch(double replyMs, double agentMs, String status) {
    }

    private void dispatchSuite() throws Exception {
        log("== dispatch latency: tools/call parhelia_task_create -> reply, -> agent running; " + runtime
                + " runtime, tmux -L " + tmuxSocket + "; " + warmupTasks + " warm-up + " + tasks + " measured tasks ==");
        killTmux();
        // The distribution as users run it: JDK 17 with its AppCDS archive.
        Path cds = trainAppCds(jdk17, "JDK 17 (dispatch server)");
        Path home = freshHome();
        if (runtime.equals("podman")) {
            usePodman(home);
        }
        copyDir(cds, home.resolve("cache").resolve("cds"));
        Map<String, String> env = serverEnv(jdk17, home, true, "");
        List<Dispatch> all = new ArrayList<>();
        try (ServerProcess server = ServerProcess.start(List.of(launcher().toString(), "mcp-server"), env, home,
                home.resolve("server.stderr"))) {
            server.send(ServerProcess.initialize(1));
            server.awaitResponse(1, REPLY_TIMEOUT);
            server.send(ServerProcess.initialized());
            for (int i = 0; i < warmupTasks + tasks; i++) {
                if (i >= warmupTasks) {
                    awaitQuiet();
                }
                all.add(dispatchOne(server, home, 100 + i, i));
            }
            long exitNanos = server.closeAndAwaitExit(EXIT_TIMEOUT);
            log(String.format(Locale.ROOT, "   server exited %.0f ms after stdin closed", exitNanos / 1e6));
        } finally {
            killTmux();
        }

        Stats reply = new Stats();
        Stats agent = new Stats();
        Stats gap = new Stats();
        Map<String, Integer> statuses = new LinkedHashMap<>();
        for (int i = warmupTasks; i < all.size(); i++) {
            Dispatch d = all.get(i);
            reply.add(d.replyMs());
            agent.add(d.agentMs());
            gap.add(d.agentMs() - d.replyMs());
            statuses.merge(d.status(), 1, Integer::sum);
        }
        long agentBeforeReply = all.subList(warmupTasks, all.size()).stream().filter(d -> d.agentMs() <= d.replyMs()).count();
        String n = tasks + " tasks after " + warmupTasks + " warm-up";
        dispatchRows.add(new Row("create sent -> create reply received", reply, Map.of(), n + "; reply status " + statuses));
        dispatchRows.add(new Row("create sent -> agent running (its first action)", agent, Map.of(), n));
        dispatchRows.add(new Row("create reply -> agent running (negative: agent first)", gap, Map.of(),
                agentBeforeReply + " of " + tasks + " agents were running before the reply arrived"));
        if (warmupTasks > 0) {
            Dispatch first = all.get(0);
            Stats r = new Stats();
            r.add(first.replyMs());
            Stats a = new Stats();
            a.add(first.agentMs());
            dispatchRows.add(new Row("first task of a fresh server: create -> reply", r, Map.of(), "warm-up, not in the rows above"));
            dispatchRows.add(new Row("first task of a fresh server: create -> agent running", a, Map.of(),
                    runtime.equals("podman") ? "warm-up; includes starting Podman's service" : "warm-up; includes starting the tmux server"));
        }
        raw.add("dispatch create->reply: " + reply.raw());
        raw.add("dispatch create->agent: " + agent.raw());
        raw.add("dispatch reply->agent: " + gap.raw());
    }

    private Dispatch dispatchOne(ServerProcess server, Path home, long requestId, int index) throws Exception {
        var request = ServerProcess.toolCall(requestId, "parhelia_task_create", Map.of("prompt", "bench task " + index));
        Instant sentWall = Instant.now();
        long sentNanos = System.nanoTime();
        server.send(request);
        ServerProcess.Line line = server.awaitResponse(requestId, REPLY_TIMEOUT);
        double replyMs = (line.nanos() - sentNanos) / 1e6;

        JsonNode result = ServerProcess.JSON.readTree(line.text()).path("result");
        if (result.path("isError").asBoolean(false)) {
            throw new IOException("parhelia_task_create failed: " + result);
        }
        JsonNode task = result.path("structuredContent").path("task");
        String taskId = task.path("id").asText(null);
        String workspace = task.path("workspace").asText(null);
        if (taskId == null || workspace == null) {
            throw new IOException("create reply without task id or workspace: " + result);
        }
        long agentMicros = awaitStamp(Path.of(workspace).resolve(STAMP_FILE));
        long sentMicros = sentWall.getEpochSecond() * 1_000_000L + sentWall.getNano() / 1_000;
        double agentMs = (agentMicros - sentMicros) / 1e3;
        awaitTaskEnd(home.resolve("runs").resolve(taskId));
        return new Dispatch(replyMs, agentMs, task.path("status").asText("?"));
    }

    /** The bench agent's stamp, wall-clock microseconds, complete once its newline is there. */
    private static long awaitStamp(Path stamp) throws Exception {
        long deadline = System.nanoTime() + AGENT_START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isRegularFile(stamp)) {
                String s = Files.readString(stamp, StandardCharsets.UTF_8);
                if (s.endsWith("\n")) {
                    return Long.parseLong(s.strip());
                }
            }
            Thread.sleep(2);
        }
        throw new TimeoutException("the agent did not start within " + AGENT_START_TIMEOUT + ": no " + stamp);
    }

    /** Lets each agent finish before the next create, so one task's agent does not slow the next dispatch. */
    private static void awaitTaskEnd(Path runDir) throws Exception {
        Path exitCode = runDir.resolve("exit_code");
        long deadline = System.nanoTime() + TASK_END_TIMEOUT.toNanos();
        while (!Files.exists(exitCode)) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("the agent of " + runDir.getFileName() + " did not end within " + TASK_END_TIMEOUT);
            }
            Thread.sleep(10);
        }
        Thread.sleep(100); // the runner's and tmux's own exit
    }

    // ================================================================================================
    // environment, homes, report
    // ================================================================================================

    private Map<String, String> baseEnv(Path javaHome, Path home) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        env.put("HOME", System.getProperty("user.home"));
        env.put("LANG", "C.UTF-8");
        env.put("JAVA_HOME", javaHome.toString());
        env.put("PARHELIA_HOME", home.toString());
        return env;
    }

    private Map<String, String> serverEnv(Path javaHome, Path home, boolean cds, String javaOpts) {
        Map<String, String> env = baseEnv(javaHome, home);
        env.put("PARHELIA_CDS", cds ? "on" : "off");
        if (!javaOpts.isBlank()) {
            env.put("PARHELIA_JAVA_OPTS", javaOpts);
        }
        return env;
    }

    /** A new Parhelia home whose config points the agent at the bench agent wrapping fake-claude, on a private tmux server. */
    private Path freshHome() throws IOException {
        Path home = Files.createDirectories(work.resolve("homes").resolve("h" + (++homeCounter)));
        Files.writeString(home.resolve("config.toml"), """
                [agent]
                command = ["%s", "%s", "-p", "{prompt}", "--output-format", "stream-json", "--verbose", "--max-turns", "{max_turns}"]
                [runtime.local]
                tmux_socket = "%s"
                """.formatted(agentScript, fakeAgent, tmuxSocket), StandardCharsets.UTF_8);
        return home;
    }

    /**
     * Tasks run on the podman runtime. The agent command is the bench agent's stamp, inlined (the host's
     * bench/bench-agent is not in the container), then the image's `claude`.
     */
    private void usePodman(Path home) throws IOException {
        if (podmanImage == null) {
            throw new IllegalArgumentException("--runtime podman needs --podman-image (bench/run.sh builds the test image)");
        }
        String stampThenAgent = "printf '%s\\n' \"${EPOCHREALTIME//[!0-9]/}\" > " + STAMP_FILE + "; exec \"$@\"";
        Files.writeString(home.resolve("config.toml"), """
                [agent]
                command = ["bash", "-c", %s, "bench-agent", "claude", "-p", "{prompt}", "--output-format", "stream-json", "--verbose", "--max-turns", "{max_turns}"]
                [tasks]
                default_runtime = "podman"
                [runtime.podman]
                image = "%s"
                oci_runtime = "%s"
                service_idle_seconds = 30
                """.formatted(ServerProcess.JSON.writeValueAsString(stampThenAgent), podmanImage,
                Files.isExecutable(Path.of("/usr/sbin/runc")) ? "/usr/sbin/runc" : ""), StandardCharsets.UTF_8);
    }

    private void killTmux() {
        try {
            Process p = new ProcessBuilder("tmux", "-L", tmuxSocket, "kill-server").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            // no tmux: nothing to kill
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int javaFeature(Path javaHome) {
        Path release = javaHome.resolve("release");
        try {
            for (String line : Files.readAllLines(release, StandardCharsets.UTF_8)) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]")[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown
        }
        return 0;
    }

    private static String javaVersionLine(Path javaHome) {
        try {
            for (String line : Files.readAllLines(javaHome.resolve("release"), StandardCharsets.UTF_8)) {
                if (line.startsWith("JAVA_RUNTIME_VERSION=")) {
                    return line.substring("JAVA_RUNTIME_VERSION=".length()).replace("\"", "");
                }
            }
        } catch (IOException e) {
            // unknown
        }
        return "?";
    }

    private void printEnvironment() {
        String cpu = "?";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("?");
        } catch (IOException e) {
            // not Linux
        }
        notes.add(String.format(Locale.ROOT, "machine: %s, %d CPUs, %s %s", cpu, Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.version")));
        notes.add("JDK 17: " + jdk17 + " (" + javaVersionLine(jdk17) + ")"
                + (temurin == null ? "" : "; Temurin: " + temurin + " (" + javaVersionLine(temurin) + ")"));
    }

    private void printReport() {
        StringBuilder out = new StringBuilder("\n");
        out.append("Parhelia benchmark (times in ms)\n");
        for (String n : notes) {
            out.append("  ").append(n).append('\n');
        }
        if (!busySamples.isEmpty()) {
            Stats busy = new Stats();
            busySamples.forEach(busy::add);
            out.append(String.format(Locale.ROOT, "  other load on the machine at the start of each round (CPU busy %%, "
                    + "rounds wait up to %d s for < 35%%): median %.0f%%, max %.0f%%%n", quietWaitSeconds, busy.median(), busy.max()));
        }
        if (!coldRows.isEmpty()) {
            out.append("\n1. stdio cold start: process spawn -> `initialize` reply on stdout (fresh PARHELIA_HOME each run;\n")
                    .append("   stdin kept open until the reply). store ready / serving: median arrival of the server's\n")
                    .append("   'store migrated' / 'serving MCP' log lines; exit: stdin closed -> process exit, median.\n\n");
            table(out, coldRows, List.of("store ready", "serving", "exit"));
        }
        if (!dispatchRows.isEmpty()) {
            out.append("\n2. dispatch latency, " + (runtime.equals("podman") ? "podman runtime (a container per task, image "
                    + podmanImage + ")" : "local runtime (tmux)") + ": one server (JDK 17 + AppCDS), sequential tasks;\n")
                    .append("   'agent running' = the wall-clock stamp the agent writes as its first action, against the\n")
                    .append("   client's wall clock when it sent the request.\n\n");
            table(out, dispatchRows, List.of());
        }
        if (!raw.isEmpty()) {
            out.append("\nraw samples (ms, in run order):\n");
            for (String r : raw) {
                out.append("  ").append(r).append('\n');
            }
        }
        System.out.print(out);
        System.out.flush();
    }

    private static void table(StringBuilder out, List<Row> rows, List<String> extraColumns) {
        int labelWidth = rows.stream().mapToInt(r -> r.label().length()).max().orElse(10);
        List<String> header = new ArrayList<>(List.of("n", "min", "median", "p90", "max"));
        header.addAll(extraColumns);
        header.add("notes");
        out.append(String.format("%-" + labelWidth + "s", "case"));
        for (String h : header) {
            out.append(h.equals("notes") ? "  " + h : String.format(" %8s", h));
        }
        out.append('\n');
        out.append("-".repeat(labelWidth + header.size() * 9 + 20)).append('\n');
        for (Row r : rows) {
            out.append(String.format("%-" + labelWidth + "s", r.label()));
            out.append(String.format(" %8d", r.stats().count()));
            for (String c : r.stats().cells()) {
                out.append(String.format(" %8s", c));
            }
            for (String e : extraColumns) {
                out.append(String.format(" %8s", r.extra().getOrDefault(e, "")));
            }
            out.append("  ").append(r.note()).append('\n');
        }
    }

    private static void log(String message) {
        System.err.println("bench: " + message);
    }

    // ---- files ----

    private static List<Path> listFiles(Path dir, String suffix) throws IOException {
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*" + suffix)) {
                s.forEach(found::add);
            }
        }
        return found;
    }

    private static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(from)) {
            for (Path p : s) {
                if (Files.isRegularFile(p)) {
                    Files.copy(p, to.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("bench: could not delete " + root + ": " + e.getMessage());
        }
    }
}
