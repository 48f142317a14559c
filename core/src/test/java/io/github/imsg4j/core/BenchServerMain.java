package io.github.imsg4j.core;


import java.nio.file.*;
import java.util.concurrent.atomic.AtomicLong;
/** The bench protocol (../shared/bench-protocol.md) served by the core alone, for core/bench/server-vs-c.sh. */
public class BenchServerMain {
  public static void main(String[] a) throws Exception {
    WireFormat wire = WireFormat.valueOf(a[0]);
    Path sock = Path.of(a[1]);
    ChannelOptions o = ChannelOptions.defaults().withWireFormat(wire).withFdPassing(true);
    try (ImsgServer s = ImsgServer.listen(sock, o, peer -> new ImsgListener() {
        long msgs, bytes, fds;
        public void onMessage(ImsgChannel ch, Imsg m) {
          try (m) {
            switch (m.type()) {
              case 1 -> { msgs++; bytes += m.length(); if (m.hasFd()) { Fds.close(m.takeFd()); fds++; } }
              case 2 -> ch.compose(3, 0, 0, null, m.payload());
              case 4 -> ch.create(5, 0, 0, null).addH64(msgs).addH64(bytes).addH64(fds).close();
              default -> {}
            }
          }
        }})) {
      System.out.println("listening path=" + sock);
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
