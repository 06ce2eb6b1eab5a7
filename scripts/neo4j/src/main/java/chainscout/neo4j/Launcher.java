package chainscout.neo4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Runs a Neo4j Community DBMS with its Bolt connector on a loopback address until the process is
 * told to stop (SIGTERM or SIGINT), then shuts it down cleanly.
 *
 * <p>Arguments: {@code --home DIR} (where the databases live), {@code --port N} (Bolt port),
 * {@code --host ADDR} (listen address, loopback by default), {@code --page-cache BYTES}. The
 * password of the {@code neo4j} user is read from the environment variable
 * {@code NEO4J_SERVER_PASSWORD}, never from the command line (where other users could see it);
 * when it is empty, authentication is disabled.
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) throws Exception {
        Path home = null;
        String host = "127.0.0.1";
        int port = 7687;
        long pageCache = 128L * 1024 * 1024;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--home" -> { home = Path.of(value); i++; }
                case "--host" -> { host = value; i++; }
                case "--port" -> { port = Integer.parseInt(value); i++; }
                case "--page-cache" -> { pageCache = Long.parseLong(value); i++; }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (home == null) {
            throw new IllegalArgumentException("--home DIR is required");
        }
        Files.createDirectories(home);
        String password = System.getenv().getOrDefault("NEO4J_SERVER_PASSWORD", "");
        boolean auth = !password.isEmpty();

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                .build();
        if (auth) {
            // The embedded API runs with full rights, so it may set the initial password.
            dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }));
        System.out.println("neo4j ready on bolt://" + host + ":" + port + (auth ? " (auth)" : " (no auth)"));
        System.out.flush();
        stopped.await();
    }
}
