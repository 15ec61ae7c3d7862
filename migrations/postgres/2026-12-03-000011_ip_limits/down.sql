DROP TABLE ip_limits;
