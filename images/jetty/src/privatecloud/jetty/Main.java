package privatecloud.jetty;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.server.handler.StatisticsHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.webapp.WebAppContext;

/**
 * Jetty for the platform's Java businesses. Reads the environment BusinessApp
 * sets (JETTY_HTTP_PORT, JETTY_GRACEFUL_STOP_SECONDS, JVM_ACTIVE_PROCESSORS)
 * and serves every webapp under JETTY_WEBAPPS: ROOT (directory or ROOT.war) at
 * "/", any other at "/name".
 *
 * Metrics: GET /metrics on JVM_METRICS_PORT (default 9404; 0 turns it off),
 * see Metrics. Jetty logs through java.util.logging, so its own warnings and
 * errors count in the logger counter with the webapps'.
 *
 * Stop: SIGTERM runs Jetty's shutdown hook; the StatisticsHandler lets
 * in-flight requests finish for up to the graceful seconds while new
 * connections are refused (the pod has already left the LVS real-server set).
 */
public final class Main {
  private static int env(String name, int fallback) {
    String v = System.getenv(name);
    if (v == null || v.isEmpty()) return fallback;
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + "=" + v + ": expected a whole number");
    }
  }

  public static void main(String[] args) throws Exception {
    // Before any Jetty class loads: Jetty's Log picks its implementation once.
    System.setProperty("org.eclipse.jetty.util.log.class", "org.eclipse.jetty.util.log.JavaUtilLog");
    int port = env("JETTY_HTTP_PORT", 8080);
    int metricsPort = env("JVM_METRICS_PORT", 9404);
    int graceSeconds = env("JETTY_GRACEFUL_STOP_SECONDS", 20);
    // Threads follow the CPU limit, not the host's cores (the seed's incident).
    int processors = env("JVM_ACTIVE_PROCESSORS", Runtime.getRuntime().availableProcessors());
    String webapps = System.getenv().getOrDefault("JETTY_WEBAPPS", "/var/lib/jetty/webapps");

    QueuedThreadPool pool = new QueuedThreadPool(Math.max(16, processors * 50), Math.max(4, processors * 2));
    pool.setName("http");
    Server server = new Server(pool);
    ServerConnector http = new ServerConnector(server, 1, Math.max(1, processors));
    http.setPort(port);
    server.addConnector(http);

    ContextHandlerCollection contexts = new ContextHandlerCollection();
    File[] entries = new File(webapps).listFiles();
    if (entries == null || entries.length == 0)
      throw new IllegalStateException(webapps + " holds no webapp (expected a directory or .war per app)");
    Arrays.sort(entries);
    List<String> deployed = new ArrayList<>();
    for (File f : entries) {
      String name = f.getName().endsWith(".war") ? f.getName().substring(0, f.getName().length() - 4) : f.getName();
      if (!f.isDirectory() && !f.getName().endsWith(".war")) continue;
      WebAppContext app = new WebAppContext();
      app.setContextPath("ROOT".equals(name) ? "/" : "/" + name);
      app.setWar(f.getAbsolutePath());
      app.setExtractWAR(true);
      app.setTempDirectory(new File(System.getProperty("java.io.tmpdir"), "jetty-" + name));
      contexts.addHandler(app);
      deployed.add(app.getContextPath());
    }
    StatisticsHandler stats = new StatisticsHandler();
    stats.setHandler(contexts);
    server.setHandler(stats);
    server.setStopTimeout(graceSeconds * 1000L);
    server.setStopAtShutdown(true);
    Metrics metrics = new Metrics(stats, pool);
    metrics.countLogRecords();
    server.start();
    if (metricsPort > 0) metrics.start(metricsPort);
    System.err.printf(
        "jetty: serving %s on :%d, metrics on :%d (%d processors, max heap %d MiB)%n",
        deployed, port, metricsPort, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
    server.join();
    metrics.stop();
  }
}
