package privatecloud.jetty;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.eclipse.jetty.server.handler.StatisticsHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The Prometheus endpoint of every Java business (GET /metrics on
 * JVM_METRICS_PORT, text format 0.0.4): the series BusinessApp's alerts and
 * the business dashboards read (components/common/jvm.ts, JVM_METRICS), taken
 * from the JVM's MXBeans, Jetty's StatisticsHandler and thread pool, and a
 * counter of java.util.logging records by level.
 *
 * The names are those of the Prometheus Java client's JVM, Jetty and logback
 * collectors, so a business that ships that client instead produces the same
 * series. It serves on its own small JDK HTTP server, not Jetty's pool: the
 * numbers still come when every Jetty thread is busy, which is when they
 * matter.
 */
final class Metrics {
  /** Log levels as the logback collector names them, most severe first. */
  private static final String[] LEVELS = {"error", "warn", "info", "debug", "trace"};

  private final AtomicLongArray logEvents = new AtomicLongArray(LEVELS.length);
  private final StatisticsHandler stats;
  private final QueuedThreadPool pool;
  private HttpServer server;

  Metrics(StatisticsHandler stats, QueuedThreadPool pool) {
    this.stats = stats;
    this.pool = pool;
  }

  private static int levelIndex(Level l) {
    int v = l.intValue();
    if (v >= Level.SEVERE.intValue()) return 0;
    if (v >= Level.WARNING.intValue()) return 1;
    if (v >= Level.INFO.intValue()) return 2;
    if (v >= Level.FINE.intValue()) return 3;
    return 4;
  }

  /** Counts every record the root logger publishes (Jetty's own, routed to java.util.logging, and the webapps'). */
  void countLogRecords() {
    Logger.getLogger("")
        .addHandler(
            new Handler() {
              @Override
              public void publish(LogRecord r) {
                if (isLoggable(r)) logEvents.incrementAndGet(levelIndex(r.getLevel()));
              }

              @Override
              public void flush() {}

              @Override
              public void close() {}
            });
  }

  void start(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 0);
    server.setExecutor(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "metrics");
              t.setDaemon(true);
              return t;
            }));
    server.createContext(
        "/metrics",
        exchange -> {
          byte[] body = render().getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
  }

  void stop() {
    if (server != null) server.stop(0);
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static void family(StringBuilder b, String name, String type, String help) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void sample(StringBuilder b, String name, String labels, double value) {
    b.append(name);
    if (!labels.isEmpty()) b.append('{').append(labels).append('}');
    b.append(' ');
    if (value == Math.rint(value) && !Double.isInfinite(value)) b.append((long) value);
    else b.append(String.format(Locale.ROOT, "%s", value));
    b.append('\n');
  }

  private static String label(String name, String value) {
    return name + "=\"" + escape(value) + "\"";
  }

  String render() {
    StringBuilder b = new StringBuilder(4096);
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
    family(b, "jvm_memory_used_bytes", "gauge", "Used bytes of a given JVM memory area.");
    sample(b, "jvm_memory_used_bytes", label("area", "heap"), heap.getUsed());
    sample(b, "jvm_memory_used_bytes", label("area", "nonheap"), nonHeap.getUsed());
    family(b, "jvm_memory_committed_bytes", "gauge", "Committed bytes of a given JVM memory area.");
    sample(b, "jvm_memory_committed_bytes", label("area", "heap"), heap.getCommitted());
    sample(b, "jvm_memory_committed_bytes", label("area", "nonheap"), nonHeap.getCommitted());
    family(b, "jvm_memory_max_bytes", "gauge", "Max bytes of a given JVM memory area (-1: no limit).");
    sample(b, "jvm_memory_max_bytes", label("area", "heap"), heap.getMax());
    sample(b, "jvm_memory_max_bytes", label("area", "nonheap"), nonHeap.getMax());

    family(b, "jvm_gc_collection_seconds", "summary", "Time spent in a given JVM garbage collector in seconds.");
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      String l = label("gc", gc.getName());
      sample(b, "jvm_gc_collection_seconds_count", l, Math.max(0, gc.getCollectionCount()));
      sample(b, "jvm_gc_collection_seconds_sum", l, Math.max(0, gc.getCollectionTime()) / 1000.0);
    }

    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    family(b, "jvm_threads_current", "gauge", "Current thread count of the JVM.");
    sample(b, "jvm_threads_current", "", threads.getThreadCount());
    family(b, "jvm_threads_daemon", "gauge", "Daemon thread count of the JVM.");
    sample(b, "jvm_threads_daemon", "", threads.getDaemonThreadCount());
    family(b, "jvm_threads_peak", "gauge", "Peak thread count of the JVM.");
    sample(b, "jvm_threads_peak", "", threads.getPeakThreadCount());
    family(b, "jvm_classes_currently_loaded", "gauge", "The number of classes currently loaded in the JVM.");
    sample(b, "jvm_classes_currently_loaded", "", ManagementFactory.getClassLoadingMXBean().getLoadedClassCount());

    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      family(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
      sample(b, "process_cpu_seconds_total", "", ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() / 1e9);
    }
    family(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
    sample(b, "process_start_time_seconds", "", ManagementFactory.getRuntimeMXBean().getStartTime() / 1000.0);
    family(b, "jvm_info", "gauge", "VM version info.");
    sample(
        b,
        "jvm_info",
        label("runtime", System.getProperty("java.runtime.name", ""))
            + ","
            + label("vendor", System.getProperty("java.vm.vendor", ""))
            + ","
            + label("version", System.getProperty("java.runtime.version", "")),
        1);
    family(b, "jvm_available_processors", "gauge", "Processors the JVM sees (-XX:ActiveProcessorCount when set).");
    sample(b, "jvm_available_processors", "", Runtime.getRuntime().availableProcessors());

    family(b, "jetty_requests_total", "counter", "Number of requests.");
    sample(b, "jetty_requests_total", "", stats.getRequests());
    family(b, "jetty_requests_active", "gauge", "Number of requests currently active.");
    sample(b, "jetty_requests_active", "", stats.getRequestsActive());
    family(b, "jetty_responses_total", "counter", "Number of responses by status code class.");
    sample(b, "jetty_responses_total", label("code", "1xx"), stats.getResponses1xx());
    sample(b, "jetty_responses_total", label("code", "2xx"), stats.getResponses2xx());
    sample(b, "jetty_responses_total", label("code", "3xx"), stats.getResponses3xx());
    sample(b, "jetty_responses_total", label("code", "4xx"), stats.getResponses4xx());
    sample(b, "jetty_responses_total", label("code", "5xx"), stats.getResponses5xx());
    family(b, "jetty_responses_bytes_total", "counter", "Total number of bytes across all responses.");
    sample(b, "jetty_responses_bytes_total", "", stats.getResponsesBytesTotal());
    family(b, "jetty_queued_thread_pool_threads", "gauge", "Number of threads in Jetty's pool.");
    sample(b, "jetty_queued_thread_pool_threads", "", pool.getThreads());
    family(b, "jetty_queued_thread_pool_threads_idle", "gauge", "Number of idle threads in Jetty's pool.");
    sample(b, "jetty_queued_thread_pool_threads_idle", "", pool.getIdleThreads());
    family(b, "jetty_queued_thread_pool_jobs", "gauge", "Number of jobs queued waiting for a thread.");
    sample(b, "jetty_queued_thread_pool_jobs", "", pool.getQueueSize());

    family(b, "logback_appender_total", "counter", "Log records by level (java.util.logging, named as logback's collector).");
    for (int i = 0; i < LEVELS.length; i++)
      sample(b, "logback_appender_total", label("level", LEVELS[i]), logEvents.get(i));
    return b.toString();
  }
}
