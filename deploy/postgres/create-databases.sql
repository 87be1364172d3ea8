-- Run once by the postgres image on an empty data directory: one database per service.
CREATE DATABASE distribu_identity;
CREATE DATABASE distribu_catalog;
CREATE DATABASE distribu_orders;
CREATE DATABASE distribu_audit;
CREATE DATABASE distribu_webhooks;
