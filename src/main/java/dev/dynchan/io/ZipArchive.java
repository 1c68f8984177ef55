package dev.dynchan.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The central directory of a zip file, read strictly and without inflating anything: torch.save stores its records
 * uncompressed, so an entry is a byte range of the file and is memory-mapped, never copied. Sizes and offsets are
 * checked against the file before use, which is what defeats zip bombs (declared sizes the file cannot back).
 * java.util.zip is not used because its messages do not say which entry or offset is wrong, it inflates
 * compressed entries of any declared size, and it copies stored data instead of mapping it.
 */
final class ZipArchive {
    /** One central-directory record. */
    record Entry(String name, int method, int flags, long compressedSize, long size, long localHeaderOffset) { }

    private static final int EOCD = 0x06054b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_EOCD = 0x06064b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;
    private static final long MAX_CENTRAL_DIRECTORY = 64L << 20;

    private final String file;
    private final FileChannel ch;
    private final long fileSize;
    private final long centralStart;
    private final Map<String, Entry> entries;

    private ZipArchive(String file, FileChannel ch, long fileSize, long centralStart, Map<String, Entry> entries) {
        this.file = file;
        this.ch = ch;
        this.fileSize = fileSize;
        this.centralStart = centralStart;
        this.entries = entries;
    }

    Map<String, Entry> entries() { return Collections.unmodifiableMap(entries); }

    /** Reads the central directory of {@code ch} ({@code file} names it in messages). */
    static ZipArchive open(String file, FileChannel ch, ReadLimits.Deadline deadline) throws IOException {
        long size = ch.size();
        int tail = (int) Math.min(size, 22 + 65535);
        ByteBuffer t = read(ch, size - tail, tail);
        int eocd = -1;
        for (int i = tail - 22; i >= 0; i--) {
            if (t.getInt(i) == EOCD && i + 22 + (t.getShort(i + 20) & 0xffff) <= tail) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) {
            throw new WeightsException(file + ": truncated or damaged zip archive (no end-of-central-directory record)");
        }
        long eocdPos = size - tail + eocd;
        int disk = t.getShort(eocd + 4) & 0xffff;
        long count = t.getShort(eocd + 10) & 0xffff;
        long cdSize = t.getInt(eocd + 12) & 0xffffffffL;
        long cdOffset = t.getInt(eocd + 16) & 0xffffffffL;
        long cdEnd = eocdPos;
        if (eocd >= 20 && t.getInt(eocd - 20) == ZIP64_LOCATOR) {
            long z64 = t.getLong(eocd - 20 + 8);
            if (z64 < 0 || z64 + 56 > eocdPos - 20) {
                throw new WeightsException(file + ": zip64 end record offset " + z64 + " lies outside the file");
            }
            ByteBuffer z = read(ch, z64, 56);
            if (z.getInt(0) != ZIP64_EOCD) {
                throw new WeightsException(file + ": no zip64 end record at offset " + z64);
            }
            disk = z.getInt(16);
            count = z.getLong(32);
            cdSize = z.getLong(40);
            cdOffset = z.getLong(48);
            cdEnd = z64;
        }
        if (disk != 0) {
            throw new WeightsException(file + ": multi-part zip archives are not supported");
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > cdEnd || cdSize > cdEnd - cdOffset) {
            throw new WeightsException(file + ": central directory [" + cdOffset + ", +" + cdSize
                    + ") does not fit before offset " + cdEnd + " (truncated zip archive?)");
        }
        if (cdSize > MAX_CENTRAL_DIRECTORY) {
            throw new WeightsException(file + ": central directory of " + cdSize + " bytes is larger than the "
                    + (MAX_CENTRAL_DIRECTORY >> 20) + " MiB allowed");
        }
        if (count < 0 || count > cdSize / 46) {
            throw new WeightsException(file + ": zip archive declares " + count + " entries but its central "
                    + "directory of " + cdSize + " bytes can hold at most " + cdSize / 46);
        }
        ByteBuffer cd = read(ch, cdOffset, (int) cdSize);
        Map<String, Entry> entries = new LinkedHashMap<>();
        int p = 0;
        for (long i = 0; i < count; i++) {
            deadline.poll();
            if (p + 46 > cdSize || cd.getInt(p) != CENTRAL) {
                throw new WeightsException(file + ": central directory record " + i + " at offset "
                        + (cdOffset + p) + " is damaged");
            }
            int flags = cd.getShort(p + 8) & 0xffff;
            int method = cd.getShort(p + 10) & 0xffff;
            long csize = cd.getInt(p + 20) & 0xffffffffL;
            long usize = cd.getInt(p + 24) & 0xffffffffL;
            int nameLen = cd.getShort(p + 28) & 0xffff;
            int extraLen = cd.getShort(p + 30) & 0xffff;
            int commentLen = cd.getShort(p + 32) & 0xffff;
            long local = cd.getInt(p + 42) & 0xffffffffL;
            if (p + 46L + nameLen + extraLen + commentLen > cdSize) {
                throw new WeightsException(file + ": central directory record " + i + " runs past the directory");
            }
            String name = utf8(file, cd, p + 46, nameLen, cdOffset + p);
            // zip64: the 8-byte values replace, in this order, whichever 32-bit fields are 0xFFFFFFFF.
            int x = p + 46 + nameLen;
            int xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = cd.getShort(x) & 0xffff;
                int len = cd.getShort(x + 2) & 0xffff;
                if (x + 4 + len > xEnd) {
                    throw new WeightsException(file + ": entry " + name + " has a damaged extra field");
                }
                if (id == 1) {
                    int q = x + 4;
                    if (usize == 0xffffffffL) { usize = long8(file, cd, q, x + 4 + len, name); q += 8; }
                    if (csize == 0xffffffffL) { csize = long8(file, cd, q, x + 4 + len, name); q += 8; }
                    if (local == 0xffffffffL) { local = long8(file, cd, q, x + 4 + len, name); }
                }
                x += 4 + len;
            }
            if (entries.put(name, new Entry(name, method, flags, csize, usize, local)) != null) {
                throw new WeightsException(file + ": zip entry " + name + " appears twice");
            }
            p += 46 + nameLen + extraLen + commentLen;
        }
        return new ZipArchive(file, ch, size, cdOffset, entries);
    }

    /** Where the entry's bytes start, after checking its local header, method and size against the file. */
    long dataOffset(Entry e) throws IOException {
        if ((e.flags() & 1) != 0) {
            throw new WeightsException(file + ": zip entry " + e.name() + " is encrypted");
        }
        if (e.method() != 0) {
            throw new WeightsException(file + ": zip entry " + e.name() + " is compressed (method " + e.method()
                    + "); torch.save stores entries uncompressed, so this file was re-packed and is not read");
        }
        if (e.compressedSize() != e.size()) {
            throw new WeightsException(file + ": stored zip entry " + e.name() + " declares " + e.size()
                    + " bytes but occupies " + e.compressedSize());
        }
        long off = e.localHeaderOffset();
        if (off < 0 || off + 30 > centralStart) {
            throw new WeightsException(file + ": zip entry " + e.name() + " has its header at offset " + off
                    + ", outside the data area (0-" + centralStart + ")");
        }
        ByteBuffer h = read(ch, off, 30);
        if (h.getInt(0) != LOCAL) {
            throw new WeightsException(file + ": no local header for zip entry " + e.name() + " at offset " + off);
        }
        int nameLen = h.getShort(26) & 0xffff;
        int extraLen = h.getShort(28) & 0xffff;
        long start = off + 30 + nameLen + extraLen;
        if (start > centralStart || e.size() > centralStart - start) {
            throw new WeightsException(file + ": zip entry " + e.name() + " declares " + e.size() + " bytes at offset "
                    + start + " but only " + Math.max(0, centralStart - start) + " bytes lie before the central "
                    + "directory (truncated file or a zip bomb)");
        }
        ByteBuffer n = read(ch, off + 30, nameLen);
        if (!utf8(file, n, 0, nameLen, off).equals(e.name())) {
            throw new WeightsException(file + ": zip entry " + e.name() + " has a different name in its local header");
        }
        return start;
    }

    /** The entry's bytes, memory-mapped (read-only, little-endian). */
    ByteBuffer map(Entry e) throws IOException {
        long start = dataOffset(e);
        if (e.size() > Integer.MAX_VALUE) {
            throw new WeightsException(file + ": zip entry " + e.name() + " is " + e.size()
                    + " bytes; records over 2 GiB are not supported");
        }
        if (e.size() == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        return ch.map(FileChannel.MapMode.READ_ONLY, start, e.size()).order(ByteOrder.LITTLE_ENDIAN);
    }

    long fileSize() { return fileSize; }

    private static long long8(String file, ByteBuffer b, int at, int end, String name) {
        if (at + 8 > end) {
            throw new WeightsException(file + ": zip entry " + name + " has a truncated zip64 extra field");
        }
        return b.getLong(at);
    }

    private static String utf8(String file, ByteBuffer b, int at, int len, long offset) {
        byte[] bytes = new byte[len];
        b.get(at, bytes);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException ex) {
            throw new WeightsException(file + ": zip entry name at offset " + offset + " is not valid UTF-8");
        }
    }

    static ByteBuffer read(FileChannel ch, long at, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new java.io.EOFException("end of file at offset " + (at + b.position()));
            }
        }
        return b.flip();
    }
}
