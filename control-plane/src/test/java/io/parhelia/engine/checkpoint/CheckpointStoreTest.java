package io.parhelia.engine.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {

    @TempDir
    Path dir;

    private Path workspace() throws Exception {
        Path ws = Files.createDirectories(dir.resolve("ws"));
        Files.writeString(ws.resolve("a.txt"), "one\ntwo\n");
        Files.createDirectories(ws.resolve("src"));
        Files.writeString(ws.resolve("src/b.txt"), "one\ntwo\n");
        Path script = Files.writeString(ws.resolve("run.sh"), "#!/bin/sh\n");
        script.toFile().setExecutable(true);
        Files.createDirectories(ws.resolve("node_modules/x"));
        Files.writeString(ws.resolve("node_modules/x/big.js"), "excluded");
        Files.createSymbolicLink(ws.resolve("link"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(ws.resolve("inner"), Path.of("src/b.txt"));
        return ws;
    }

    @Test
    void identicalContentIsStoredOnceAndExclusionsAndSymlinksAreRecordedNotFollowed() throws Exception {
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        Path ws = workspace();
        Manifest manifest = new WorkspaceScanner(Set.of("node_modules")).scan(ws, blobs);

        assertThat(manifest.entries()).extracting(ManifestEntry::path)
                .containsExactly("a.txt", "inner", "link", "run.sh", "src", "src/b.txt");
        assertThat(manifest.entries()).filteredOn(e -> e.path().equals("link")).first()
                .satisfies(e -> assertThat(e.target()).isEqualTo("/etc/passwd"));
        assertThat(manifest.entries()).filteredOn(e -> e.path().equals("run.sh")).first()
                .satisfies(e -> assertThat(e.executable()).isTrue());
        try (Stream<Path> stored = Files.walk(blobs.root())) {
            assertThat(stored.filter(Files::isRegularFile).count()).isEqualTo(2);
        }
        assertThat(blobs.put(ws.resolve("a.txt")).added()).isFalse();
    }

    @Test
    void theManifestHashIsCanonical() throws Exception {
        Manifest first = new WorkspaceScanner(Set.of()).scan(workspace(), null);
        List<ManifestEntry> backwards = new java.util.ArrayList<>(first.entries());
        java.util.Collections.reverse(backwards);
        Manifest reordered = new Manifest(backwards);
        assertThat(reordered.canonicalBytes()).isEqualTo(first.canonicalBytes());
        assertThat(Manifest.parse(first.canonicalBytes())).isEqualTo(first);
    }

    @Test
    void aRestoreEqualsTheCheckpointByteForByte() throws Exception {
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        Path ws = workspace();
        Files.delete(ws.resolve("link"));
        Manifest manifest = new WorkspaceScanner(Set.of("node_modules")).scan(ws, blobs);
        Path target = dir.resolve("restored");
        new Restorer(blobs).restore(manifest, target);
        assertThat(new WorkspaceScanner(Set.of()).scan(target, null)).isEqualTo(manifest);
    }

    @Test
    void aCorruptedBlobRefusesTheRestoreAndWritesNothing() throws Exception {
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        Path ws = workspace();
        Files.delete(ws.resolve("link"));
        Manifest manifest = new WorkspaceScanner(Set.of("node_modules")).scan(ws, blobs);
        String sha = manifest.entries().get(0).sha256();
        Files.writeString(blobs.path(sha), "tampered", StandardCharsets.UTF_8);

        Path target = dir.resolve("restored");
        assertThatThrownBy(() -> new Restorer(blobs).restore(manifest, target))
                .isInstanceOf(CheckpointIntegrityException.class).hasMessageContaining("corrupted").hasMessageContaining(sha);
        assertThat(target).doesNotExist();
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).doesNotContain("restored").noneMatch(n -> n.endsWith(".partial"));
        }
    }

    @Test
    void pathsThatEscapeAreRefused() throws Exception {
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        String sha = blobs.putBytes("x".getBytes(StandardCharsets.UTF_8)).sha256();
        Manifest crafted = new Manifest(List.of(
                ManifestEntry.file("../outside.txt", false, 1, sha),
                ManifestEntry.file("/etc/evil", false, 1, sha),
                ManifestEntry.symlink("up", "../.."),
                ManifestEntry.symlink("hop", "/tmp"),
                ManifestEntry.file("hop/through.txt", false, 1, sha)));
        Path target = dir.resolve("restored");
        assertThatThrownBy(() -> new Restorer(blobs).restore(crafted, target))
                .hasMessageContaining("'../outside.txt'").hasMessageContaining("is absolute")
                .hasMessageContaining("outside the workspace").hasMessageContaining("goes through 'hop'");
        assertThat(target).doesNotExist();
        assertThat(dir.resolve("outside.txt")).doesNotExist();
    }

    @Test
    void lineDiffCountsAndRendersHunks() {
        LineDiff diff = LineDiff.of(List.of("a", "b", "c", "d"), List.of("a", "B", "c", "d", "e"));
        assertThat(diff.counts()).isEqualTo(new LineDiff.Counts(2, 1));
        assertThat(diff.unified("a/f", "b/f", 10_000)).isEqualTo("""
                --- a/f
                +++ b/f
                @@ -1,4 +1,5 @@
                 a
                -b
                +B
                 c
                 d
                +e
                """);
    }
}
