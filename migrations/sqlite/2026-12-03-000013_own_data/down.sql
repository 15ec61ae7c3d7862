DROP TABLE invitations;
DROP TABLE deletion_requests;
