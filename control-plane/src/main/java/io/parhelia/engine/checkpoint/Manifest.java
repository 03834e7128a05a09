package io.parhelia.engine.checkpoint;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A checkpoint's tree: every entry, sorted by path. Its canonical form (compact JSON, fixed key
 * order) is what is hashed and stored, so equal trees have equal hashes.
 */
public record Manifest(List<ManifestEntry> entries) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public Manifest {
        entries = entries.stream().sorted(Comparator.comparing(ManifestEntry::path)).toList();
    }

    public long sizeBytes() {
        return entries.stream().mapToLong(ManifestEntry::size).sum();
    }

    public int fileCount() {
        return (int) entries.stream().filter(e -> e.type() == ManifestEntry.Type.FILE).count();
    }

    public byte[] canonicalBytes() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ManifestEntry e : entries) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("path", e.path());
            row.put("type", e.type().name().toLowerCase(Locale.ROOT));
            row.put("mode", e.type() == ManifestEntry.Type.FILE ? (e.executable() ? "755" : "644") : null);
            row.put("size", e.size());
            row.put("sha256", e.sha256());
            row.put("target", e.target());
            rows.add(row);
        }
        try {
            return JSON.writeValueAsBytes(Map.of("version", 1, "entries", rows));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a stored manifest; fails on anything that is not one. */
    public static Manifest parse(byte[] canonical) {
        try {
            Map<String, Object> root = JSON.readValue(canonical, new TypeReference<>() { });
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> rows = (List<Map<String, Object>>) root.get("entries");
            List<ManifestEntry> entries = new ArrayList<>();
            for (Map<String, Object> row : rows) {
                ManifestEntry.Type type = ManifestEntry.Type.valueOf(((String) row.get("type")).toUpperCase(Locale.ROOT));
                entries.add(new ManifestEntry((String) row.get("path"), type, "755".equals(row.get("mode")),
                        ((Number) row.get("size")).longValue(), (String) row.get("sha256"), (String) row.get("target")));
            }
            return new Manifest(entries);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointIntegrityException("the checkpoint's manifest is unreadable: " + e.getMessage());
        }
    }
}
