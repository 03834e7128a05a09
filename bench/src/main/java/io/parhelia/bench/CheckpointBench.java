package io.parhelia.bench;

import io.parhelia.engine.checkpoint.BlobStore;
import io.parhelia.engine.checkpoint.WorkspaceScanner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/** Checkpoints a 10,000-file / 200 MB workspace twice, changing one file in between, and prints times and new blob bytes. */
public final class CheckpointBench {

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("parhelia-checkpoint-bench");
        Path workspace = Files.createDirectories(dir.resolve("ws"));
        Random random = new Random(42);
        byte[] content = new byte[20 * 1024];
        for (int i = 0; i < 10_000; i++) {
            random.nextBytes(content);
            Path file = workspace.resolve("d" + (i % 100)).resolve("f" + i + ".bin");
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        }
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        WorkspaceScanner scanner = new WorkspaceScanner(Set.of());
        long start = System.nanoTime();
        scanner.scan(workspace, blobs);
        long first = System.nanoTime() - start;
        long before = storedBytes(blobs.root());
        Files.writeString(workspace.resolve("d0/f0.bin"), "changed");
        start = System.nanoTime();
        scanner.scan(workspace, blobs);
        long second = System.nanoTime() - start;
        System.out.printf("first checkpoint: %d ms, %d bytes stored%n", first / 1_000_000, before);
        System.out.printf("second checkpoint: %d ms, %d bytes of new blobs%n", second / 1_000_000, storedBytes(blobs.root()) - before);
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static long storedBytes(Path root) throws Exception {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
